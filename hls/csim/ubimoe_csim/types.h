// ubimoe C-simulation types: the Vitis names (ap_int, ap_uint, ap_fixed, ap_ufixed, ...) as aliases of
// the one number class. Included by ap_int.h and ap_fixed.h; see hls/csim/README.md.
#ifndef UBIMOE_CSIM_TYPES_H
#define UBIMOE_CSIM_TYPES_H

#include "text.h"

template <int W> using ap_int = ubimoe_csim::apnum<W, W, true, AP_TRN, AP_WRAP, 0, true>;
template <int W> using ap_uint = ubimoe_csim::apnum<W, W, false, AP_TRN, AP_WRAP, 0, true>;
template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
using ap_fixed = ubimoe_csim::apnum<W, I, true, Q, O, N, false>;
template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
using ap_ufixed = ubimoe_csim::apnum<W, I, false, Q, O, N, false>;
template <int W, bool S> using ap_int_base = ubimoe_csim::apnum<W, W, S, AP_TRN, AP_WRAP, 0, true>;
template <int W, int I, bool S, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
using ap_fixed_base = ubimoe_csim::apnum<W, I, S, Q, O, N, false>;

#endif
