// A shared library without the GEAR entry symbol.

extern "C" __attribute__((visibility("default"))) int not_a_gear_plugin() { return 42; }
