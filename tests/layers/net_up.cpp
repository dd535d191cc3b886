// A middle layer reaching up: net sees sys, not the runtime's state (ctest layers/net_up_fails).
#include "boxlab/net.hpp"
#include "boxlab/runtime/state.hpp"
