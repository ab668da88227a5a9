// ubimoe's csim-only stand-in for Vitis's ap_int.h (used only when XILINX_HLS is unset).
// Both ap_int.h and ap_fixed.h provide the whole set: ap_int, ap_uint, ap_fixed, ap_ufixed.
#ifndef UBIMOE_CSIM_AP_INT_H
#define UBIMOE_CSIM_AP_INT_H
#include "ubimoe_csim/types.h"
#endif
