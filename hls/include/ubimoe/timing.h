// ubimoe kernel library: the timing statements (ARCHITECTURE.md, "Timing and II rules").
// A pipelined loop states its II and iteration latency once, in UBIMOE_PIPELINE, which emits the
// HLS pragma; unpipelined work states its cycles with UBIMOE_CYCLES, m_axi transfers with
// UBIMOE_AXI_BURST; dataflow functions and their processes say what they are. The numbers
// (pipeline depths, AXI latency, bytes per cycle of a port) are arguments: they come from the
// generated constants the cost model also reads, never from literals here.
//
// Under Vitis (__SYNTHESIS__) and in the plain C-simulation every macro is its pragma or nothing.
// Only a build with -DUBIMOE_TIMED_CSIM (and ubimoe's hls/csim headers) runs the timed
// C-simulation (hls/csim/ubimoe_csim/timing.h; hls/csim/README.md, "Timed C-simulation").
//
//   UBIMOE_KERNEL("ffn_block");            first statement of a top kernel function
//   UBIMOE_DATAFLOW_REGION("ffn_engine");  first statement of a dataflow function (emits DATAFLOW)
//   UBIMOE_PROCESS("engine_read");         first statement of each function the region calls
//   UBIMOE_PIPELINE(ii, lat);              first statement of a pipelined loop's body (emits PIPELINE)
//   UBIMOE_CYCLES(n);                      n cycles of unpipelined work (not in a pipelined body)
//   UBIMOE_AXI_BURST(bytes, bytes_per_cycle, latency);   an m_axi burst
//   UBIMOE_STAGE("layernorm");             the scope's cycles, reported under that name
//
// ii must be what the pragma accepts: a literal or the name of a const integer (copy CFG::X into
// a local `const unsigned` first, as for partition factors). The other arguments are any integer
// expressions without side effects (they are not evaluated unless the simulation is timed).
#ifndef UBIMOE_TIMING_H
#define UBIMOE_TIMING_H

#define UBIMOE_PRAGMA_TEXT_(x) _Pragma(#x)
#define UBIMOE_PRAGMA_(x) UBIMOE_PRAGMA_TEXT_(x)
#define UBIMOE_CAT2_(a, b) a##b
#define UBIMOE_CAT_(a, b) UBIMOE_CAT2_(a, b)

#if defined(UBIMOE_TIMED_CSIM) && !defined(__SYNTHESIS__)

// ubimoe's csim hls_stream.h brings the timing engine; Vitis's cannot time anything.
#include <hls_stream.h>
#ifndef UBIMOE_CSIM_TIMING_H
#error "UBIMOE_TIMED_CSIM needs ubimoe's hls/csim headers on the include path (not Vitis's)"
#endif

#define UBIMOE_KERNEL(name) ::ubimoe_csim::timing::kernel_scope ubimoe_kernel_scope_(name)
#define UBIMOE_DATAFLOW_REGION(name) \
  UBIMOE_PRAGMA_(HLS DATAFLOW)       \
  ::ubimoe_csim::timing::region_scope ubimoe_region_scope_(name)
#define UBIMOE_PROCESS(name) ::ubimoe_csim::timing::process_scope ubimoe_process_scope_(name)
#define UBIMOE_PIPELINE(ii_, lat_)                      \
  UBIMOE_PRAGMA_(HLS PIPELINE II=ii_)                   \
  static char ubimoe_pipeline_site_ = 0;                \
  ::ubimoe_csim::timing::iteration ubimoe_pipeline_iteration_(&ubimoe_pipeline_site_, (ii_), (lat_))
#define UBIMOE_CYCLES(n) ::ubimoe_csim::timing::cycles(n)
#define UBIMOE_AXI_BURST(bytes, bytes_per_cycle, latency) \
  ::ubimoe_csim::timing::axi_burst((bytes), (bytes_per_cycle), (latency))
#define UBIMOE_STAGE(name) ::ubimoe_csim::timing::stage_scope UBIMOE_CAT_(ubimoe_stage_scope_, __LINE__)(name)

#else

// Vitis and the plain C-simulation: the pragmas, and nothing that runs (sizeof does not evaluate
// its operand; it only keeps variables that exist for these statements from being unused).
#define UBIMOE_KERNEL(name) ((void)0)
#define UBIMOE_DATAFLOW_REGION(name) UBIMOE_PRAGMA_(HLS DATAFLOW)((void)0)
#define UBIMOE_PROCESS(name) ((void)0)
#define UBIMOE_PIPELINE(ii_, lat_) UBIMOE_PRAGMA_(HLS PIPELINE II=ii_)((void)sizeof(ii_), (void)sizeof(lat_))
#define UBIMOE_CYCLES(n) ((void)sizeof(n))
#define UBIMOE_AXI_BURST(bytes, bytes_per_cycle, latency) \
  ((void)sizeof(bytes), (void)sizeof(bytes_per_cycle), (void)sizeof(latency))
#define UBIMOE_STAGE(name) ((void)0)

#endif

#endif
