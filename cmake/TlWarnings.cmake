# SPDX-License-Identifier: MIT
# tl_warnings(target): the house warning set; -Werror when TL_WERROR is on.
function(tl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter)
  if(TL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
