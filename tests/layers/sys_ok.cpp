// The control for sys_up.cpp: sys's own public and exported headers compile on sys's path.
#include "boxlab/error.hpp"
#include "boxlab/sys/syscalls.hpp"
