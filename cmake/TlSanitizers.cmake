# SPDX-License-Identifier: MIT
# TL_SANITIZE=address;undefined adds -fsanitize=... to every target.
if(TL_SANITIZE)
  string(REPLACE ";" "," _tl_san "${TL_SANITIZE}")
  add_compile_options(-fsanitize=${_tl_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_tl_san})
endif()
