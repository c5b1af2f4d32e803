# Writes OUTPUT, a C++ source defining gear::plugins::corruptions::kFrostBlob with INPUT's bytes.
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUTPUT} "#include <cstddef>\nnamespace gear::plugins::corruptions {\n"
     "extern const unsigned char kFrostBlob[] = {${bytes}};\n"
     "extern const std::size_t kFrostBlobSize = sizeof(kFrostBlob);\n}\n")
