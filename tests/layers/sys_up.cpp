// Compiled with exactly the include path of the sys layer: a runtime header is not on it, so
// this must fail to compile (ctest layers/sys_up_fails).
#include "boxlab/container.hpp"
