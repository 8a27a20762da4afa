# Writes OUT as a C++ file defining `const std::string_view lifeline::embedded::VAR`
# holding the bytes of IN. Hex bytes avoid any quoting problem with the content.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR n "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
file(WRITE ${OUT}
"// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace lifeline::embedded {\nstatic const char k${VAR}[] = {${body} 0};\nextern const std::string_view ${VAR};\nconst std::string_view ${VAR}(k${VAR}, ${n});\n}  // namespace lifeline::embedded\n")
