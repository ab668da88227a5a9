// The timed C-simulation (hls/include/ubimoe/timing.h, hls/csim/ubimoe_csim/timing.h) on small
// hand-made dataflows whose cycle counts are worked out by hand below. Built twice by
// timing.test.ts: with -DUBIMOE_TIMED_CSIM (the checks run) and without (plain csim: the same
// "data" lines must come out, and no timing code runs).
//
// Rules used in the hand counts (hls/csim/README.md, "Timed C-simulation"):
//  - a pipelined loop's iteration i issues at t_i = t_(i-1) + II (the first at the process's
//    clock); its reads happen at t_i, its writes at t_i + LAT; the loop ends at t_last + LAT;
//  - a read of element k: no earlier than its write + 1 (FIFO latency);
//    a write of element k: no earlier than the read of element k - depth + 1;
//  - a stall shifts everything after it in the process (program order);
//  - UBIMOE_AXI_BURST in a pipelined body: the iteration issues no earlier than
//    start + latency + ceil(bytes so far / bytes per cycle) - 1; outside a body it costs
//    latency + ceil(bytes / bytes per cycle);
//  - a process starts at its region's start; the region ends with its last process.
//
// No argument: every scenario that completes; prints "data ..." lines, then (timed) the checks
// and the JSON report. Arguments (timed build): "deadlock1", "deadlock7", "deadlock_big",
// "seq_deadlock", "unread", "outside", "two_writers", "leftover": a deadlock / misuse / a stream left
// holding data, reported on stderr with exit status 1.
#include <cstdio>
#include <cstring>
#include <string>

#include "ap_int.h"
#include "hls_stream.h"
#include "ubimoe/timing.h"

static int checks = 0, failures = 0;
[[maybe_unused]] static void check(int line, const char *expr, bool ok) {
  ++checks;
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "timing.cpp:%d: CHECK(%s) failed\n", line, expr);
  }
}
#define CHECK(...) check(__LINE__, #__VA_ARGS__, (__VA_ARGS__))

#ifdef UBIMOE_TIMED_CSIM
namespace timing = ubimoe_csim::timing;

static const timing::region_stats *region_of(const timing::call_report &c, const char *name) {
  for (const auto &r : c.regions)
    if (r.name == name) return &r;
  return nullptr;
}
static const timing::process_stats *process_of(const timing::region_stats *r, const char *name) {
  if (r)
    for (const auto &p : r->processes)
      if (p.name == name) return &p;
  return nullptr;
}
static const timing::stream_stats *stream_of(const timing::region_stats *r, const char *name) {
  if (r)
    for (const auto &s : r->streams)
      if (s.name == name) return &s;
  return nullptr;
}
static unsigned long long stage_of(const timing::call_report &c, const char *name) {
  for (const auto &s : c.stages)
    if (s.name == name) return s.cycles;
  return ~0ull;
}
#define PROC(r, name, busy_, stall_) \
  CHECK(process_of(r, name) && process_of(r, name)->busy == (busy_) && process_of(r, name)->stall == (stall_))
#define OCC(r, name, occ) CHECK(stream_of(r, name) && stream_of(r, name)->max_occupancy == (occ))
#endif

// ---------------------------------------------------------------------------------------------
// 1. Producer / consumer: the producer (II=1, LAT=2) writes n values, the consumer (II_C, LAT=4)
//    reads them.

static void producer(hls::stream<int> &s, int n, unsigned ii) {
  UBIMOE_PROCESS("producer");
  UBIMOE_STAGE("produce");  // a stage in a process: at the resolved times (its stalls count)
  if (ii == 1) {
    for (int i = 0; i < n; i++) {
      UBIMOE_PIPELINE(1, 2);
      s.write(3 * i + 1);
    }
  } else {
    for (int i = 0; i < n; i++) {
      UBIMOE_PIPELINE(2, 2);
      s.write(3 * i + 1);
    }
  }
}

static void consumer(hls::stream<int> &s, int n, unsigned ii, long long &sum) {
  UBIMOE_PROCESS("consumer");
  UBIMOE_STAGE("consume");
  if (ii == 3) {
    for (int i = 0; i < n; i++) {
      UBIMOE_PIPELINE(3, 4);
      sum += (long long)s.read() * (i + 1);
    }
  } else {
    for (int i = 0; i < n; i++) {
      UBIMOE_PIPELINE(1, 4);
      sum += (long long)s.read() * (i + 1);
    }
  }
}

static void pc_region(int n, unsigned depth, unsigned pii, unsigned cii, long long &sum) {
  UBIMOE_DATAFLOW_REGION("pc");
  hls::stream<int> s("pc_fifo");
  UBIMOE_STREAM_DEPTH(s, depth);
  producer(s, n, pii);
  consumer(s, n, cii, sum);
}

static long long pc_kernel(int n, unsigned depth, unsigned pii, unsigned cii) {
  UBIMOE_KERNEL("pc_kernel");
  long long sum = 0;
  pc_region(n, depth, pii, cii, sum);
  return sum;
}

static void scenario_pc() {
  long long a = pc_kernel(100, 2, 1, 3), b = pc_kernel(100, 128, 1, 3), c = pc_kernel(100, 2, 2, 1);
  std::printf("data pc %lld %lld %lld\n", a, b, c);
#ifdef UBIMOE_TIMED_CSIM
  const auto &img = timing::images().back();
  CHECK(img.calls.size() == 3);
  // (a) depth 2, producer II=1 LAT=2, consumer II=3 LAT=4, n = 100.
  //   consumer: read j at 3j locally; read 0 waits for write 0 (at 2) + 1 = 3, then every 3
  //     cycles: R_r[j] = 3 + 3j (its write, below, is always earlier).
  //   producer: write k at k + 2 locally, but no earlier than R_r[k-2] + 1:
  //     R_w = 2, 3, 4, then 3k - 2 (k >= 3: R_r[k-2] + 1 = 3(k-2) + 3 + 1).
  //   producer ends with its last write: 3*99 - 2 = 295 (busy: 99 + 2 = 101, stall 194);
  //   consumer: last read 3 + 297 = 300, + LAT 4 = 304 (busy 297 + 4 = 301, stall 3).
  //   region = 304 = 3*99 + 3 + 4; the FIFO is full at most (2).
  {
    const auto &call = img.calls[0];
    const auto *r = region_of(call, "pc");
    CHECK(call.kernel == "pc_kernel");
    CHECK(call.cycles == 304);
    CHECK(r && r->calls == 1 && r->cycles == 304);
    PROC(r, "producer", 101u, 194u);
    PROC(r, "consumer", 301u, 3u);
    OCC(r, "pc_fifo", 2u);
    // the stages span each process: local 0 .. its end, resolved 0 .. 295 (the producer's last
    // write) and 0 .. 304 (busy + stall), listed in the order they start
    CHECK(stage_of(call, "produce") == 295 && stage_of(call, "consume") == 304);
    CHECK(call.stages.size() == 2 && call.stages[0].name == "produce" && call.stages[0].calls == 1);
    CHECK(stream_of(r, "pc_fifo")->depth == 2 && stream_of(r, "pc_fifo")->writes == 100);
  }
  // (b) depth 128 >= n: the producer never waits (busy 101, stall 0); the consumer as in (a):
  //   304. Occupancy after write k (at k + 2): (k + 1) - #{j : 3 + 3j <= k + 2}, largest at
  //   k = 99: 100 - 33 = 67.
  {
    const auto &call = img.calls[1];
    const auto *r = region_of(call, "pc");
    CHECK(call.cycles == 304);
    PROC(r, "producer", 101u, 0u);
    PROC(r, "consumer", 301u, 3u);
    OCC(r, "pc_fifo", 67u);
  }
  // (c) depth 2, producer II=2 LAT=2 (writes at 2k + 2), consumer II=1 LAT=4: the consumer
  //   starves. Read j at W_j + 1 = 2j + 3 (its own pace, j, is faster); the producer's full-FIFO
  //   bound R_r[k-2] + 1 = 2k is below 2k + 2, so it never waits: ends at 2*99 + 2 = 200.
  //   consumer: last read 2*99 + 3 = 201, then LAT 4 = 205 (busy 99 + 4 = 103, stall 102).
  {
    const auto &call = img.calls[2];
    const auto *r = region_of(call, "pc");
    CHECK(call.cycles == 205);
    PROC(r, "producer", 200u, 0u);
    PROC(r, "consumer", 103u, 102u);
    OCC(r, "pc_fifo", 1u);
  }
#endif
}

// ---------------------------------------------------------------------------------------------
// 2. Reconvergent paths: the splitter writes n values to 'a', then n to 'b'; the joiner reads
//    all of 'b' first, then 'a'. Deadlocks unless 'a' holds all n values.

static void splitter(hls::stream<int> &a, hls::stream<int> &b, int n) {
  UBIMOE_PROCESS("splitter");
  for (int i = 0; i < n; i++) {
    UBIMOE_PIPELINE(1, 1);
    a.write(i);
  }
  for (int i = 0; i < n; i++) {
    UBIMOE_PIPELINE(1, 1);
    b.write(2 * i + 1);
  }
}

static int joined_b[200000];

static void joiner(hls::stream<int> &a, hls::stream<int> &b, int n, long long &out) {
  UBIMOE_PROCESS("joiner");
  for (int i = 0; i < n; i++) {
    UBIMOE_PIPELINE(1, 1);
    joined_b[i] = b.read();
  }
  for (int i = 0; i < n; i++) {
    UBIMOE_PIPELINE(1, 1);
    out += (long long)a.read() * joined_b[i];
  }
}

static void reconverge_region(int n, unsigned depth, long long &out) {
  UBIMOE_DATAFLOW_REGION("reconverge");
  hls::stream<int> a("a"), b("b");
  UBIMOE_STREAM_DEPTH(a, depth);
  UBIMOE_STREAM_DEPTH(b, depth);
  splitter(a, b, n);
  joiner(a, b, n, out);
}

static long long reconverge_kernel(int n, unsigned depth) {
  UBIMOE_KERNEL("reconverge_kernel");
  long long out = 0;
  reconverge_region(n, depth, out);
  return out;
}

static void scenario_reconverge() {
  const long long v = reconverge_kernel(8, 8);
  std::printf("data reconverge %lld\n", v);
#ifdef UBIMOE_TIMED_CSIM
  // n = 8, depth 8 (no write ever waits: element k needs the read of k - 8 < 0).
  //   splitter: 'a' iterations at 0..7 (writes at 1..8), the loop ends at 7 + 1 = 8; 'b'
  //     iterations at 8..15 (writes at 9..16), ends at 16 (busy 16, stall 0).
  //   joiner: read b_j no earlier than write (9 + j) + 1: R = 10 + j, b_7 at 17; its 'a' loop
  //     starts one LAT after the last 'b' iteration (locally 8, so 17 + 1 = 18): a_7 at 25, end
  //     25 + 1 = 26 (busy 16, stall 10).
  //   region 26; 'a' holds all 8 values at once, 'b' at most 1.
  const auto &call = *timing::last_call();
  const auto *r = region_of(call, "reconverge");
  CHECK(call.kernel == "reconverge_kernel" && call.cycles == 26);
  PROC(r, "splitter", 16u, 0u);
  PROC(r, "joiner", 16u, 10u);
  OCC(r, "a", 8u);
  OCC(r, "b", 1u);
#endif
}

// ---------------------------------------------------------------------------------------------
// 3. A burst reader limited by its port: each iteration moves one 64-byte word from "memory"
//    (an m_axi port: latency 64 cycles, BPC bytes per cycle) into a stream; a sink reads one per
//    cycle. The kernel's sequential code also loads and stores blocks (blocking bursts).

typedef ap_uint<512> word_t;
static word_t memory[32];

static void burst_reader(const word_t *mem, int n, unsigned bpc, hls::stream<word_t> &out) {
  UBIMOE_PROCESS("reader");
  for (int i = 0; i < n; i++) {
    UBIMOE_PIPELINE(1, 2);
    UBIMOE_AXI_BURST(64, bpc, 64);
    out.write(mem[i]);
  }
}

static void burst_sink(hls::stream<word_t> &in, int n, word_t &acc) {
  UBIMOE_PROCESS("sink");
  for (int i = 0; i < n; i++) {
    UBIMOE_PIPELINE(1, 1);
    acc ^= in.read() << (i % 7);
  }
}

static void burst_region(const word_t *mem, int n, unsigned bpc, word_t &acc) {
  UBIMOE_DATAFLOW_REGION("burst");
  hls::stream<word_t> s("words");
  burst_reader(mem, n, bpc, s);
  burst_sink(s, n, acc);
}

static word_t burst_kernel(unsigned bpc) {
  UBIMOE_KERNEL("burst_kernel");
  word_t acc = 0;
  {
    UBIMOE_STAGE("load");
    UBIMOE_AXI_BURST(2048, 16, 64);  // 64 + 2048 / 16 = 192
  }
  {
    UBIMOE_STAGE("stream");
    burst_region(memory, 32, bpc, acc);
  }
  {
    UBIMOE_STAGE("store");
    UBIMOE_AXI_BURST(4, 16, 10);  // 10 + ceil(4 / 16) = 11
  }
  return acc;
}

static void scenario_burst() {
  for (int i = 0; i < 32; i++) memory[i] = (word_t(i * 7919 + 1) << (i * 13)) | word_t(i);
  const word_t a = burst_kernel(16), b = burst_kernel(128);
  std::printf("data burst %s %s\n", a.to_string(16).c_str(), b.to_string(16).c_str());
#ifdef UBIMOE_TIMED_CSIM
  const auto &calls = timing::images().back().calls;
  const auto &port = calls[calls.size() - 2], &fast = calls.back();
  // 16 bytes per cycle: a 64-byte word every 4 cycles. Iteration i issues at
  //   max(t_(i-1) + 1, 0 + 64 + ceil(64(i+1) / 16) - 1) = 67 + 4i; writes at 69 + 4i;
  //   the reader ends at 67 + 4*31 + 2 = 193 (busy 193: the port is its own clock, stall 0).
  //   sink: read j at (69 + 4j) + 1 = 70 + 4j, last 194, + LAT 1 = 195 (busy 32, stall 163).
  //   the depth-2 FIFO never fills (R_r[k-2] + 1 = 4k + 63 < 4k + 69).
  //   kernel: load 192 + region 195 + store 11 = 398.
  const auto *r = region_of(port, "burst");
  CHECK(port.cycles == 398);
  CHECK(r && r->cycles == 195);
  PROC(r, "reader", 193u, 0u);
  PROC(r, "sink", 32u, 163u);
  OCC(r, "words", 1u);
  CHECK(stage_of(port, "load") == 192 && stage_of(port, "stream") == 195 && stage_of(port, "store") == 11);
  // 128 bytes per cycle: two words a cycle arrive, II=1 limits. t_0 = 64 + 1 - 1 = 64, then
  //   t_i = 64 + i (the data, 63 + ceil((i+1)/2), are earlier): the reader ends at 95 + 2 = 97;
  //   sink: last read 97 + 1 = 98, end 99. kernel: 192 + 99 + 11 = 302.
  const auto *f = region_of(fast, "burst");
  CHECK(fast.cycles == 302);
  CHECK(f && f->cycles == 99);
  PROC(f, "reader", 97u, 0u);
#endif
}

// ---------------------------------------------------------------------------------------------
// 4. A dataflow region nested in a process, and loop instances in a kernel's sequential code.

static void inner_producer(hls::stream<int> &y, int v) {
  UBIMOE_PROCESS("inner_p");
  for (int j = 0; j < 4; j++) {
    UBIMOE_PIPELINE(1, 1);
    y.write(v + j);
  }
}

static void inner_consumer(hls::stream<int> &y, long long &acc) {
  UBIMOE_PROCESS("inner_c");
  for (int j = 0; j < 4; j++) {
    UBIMOE_PIPELINE(1, 1);
    acc = acc * 3 + y.read();
  }
}

static void inner_region(int v, long long &acc) {
  UBIMOE_DATAFLOW_REGION("inner");
  hls::stream<int> y("y");
  inner_producer(y, v);
  inner_consumer(y, acc);
}

static void feeder(hls::stream<int> &x) {
  UBIMOE_PROCESS("feeder");
  for (int i = 0; i < 3; i++) {
    UBIMOE_PIPELINE(1, 1);
    x.write(10 * i + 5);
  }
}

static void worker(hls::stream<int> &x, long long &acc) {
  UBIMOE_PROCESS("worker");
  for (int i = 0; i < 3; i++) {  // not pipelined: each step reads one x, then runs the inner region
    const int v = x.read();
    inner_region(v, acc);
  }
}

static void outer_region(long long &acc) {
  UBIMOE_DATAFLOW_REGION("outer");
  hls::stream<int> x("x");
  feeder(x);
  worker(x, acc);
}

static long long nest_kernel() {
  UBIMOE_KERNEL("nest_kernel");
  long long acc = 0;
  outer_region(acc);
  return acc;
}

static long long loops_kernel() {
  UBIMOE_KERNEL("loops_kernel");
  long long acc = 0;
  {
    UBIMOE_STAGE("flat");  // a perfect nest: one instance of 20 iterations, 19 + 3 = 22
    for (int o = 0; o < 4; o++)
      for (int i = 0; i < 5; i++) {
        UBIMOE_PIPELINE(1, 3);
        acc += o * i;
      }
  }
  {
    UBIMOE_STAGE("unflat");  // UBIMOE_CYCLES ends each instance: 4 x (1 + 4 + 3) = 32
    for (int o = 0; o < 4; o++) {
      UBIMOE_CYCLES(1);
      for (int i = 0; i < 5; i++) {
        UBIMOE_PIPELINE(1, 3);
        acc += o + i;
      }
    }
  }
  {
    UBIMOE_STAGE("ii2");  // 10 iterations at II=2, LAT 5: 9 * 2 + 5 = 23
    for (int i = 0; i < 10; i++) {
      UBIMOE_PIPELINE(2, 5);
      acc = acc * 2 + i;
    }
  }
  return acc;
}

static void scenario_nest() {
  const long long a = nest_kernel(), b = loops_kernel();
  std::printf("data nest %lld %lld\n", a, b);
#ifdef UBIMOE_TIMED_CSIM
  const auto &calls = timing::images().back().calls;
  const auto &nest = calls[calls.size() - 2], &loops = calls.back();
  // inner region: inner_p writes at 1..4 (ends 4); inner_c reads at W_j + 1 = j + 2 (2..5),
  //   ends 5 + 1 = 6: span 6 (inner_p busy 4 stall 0, inner_c busy 4 stall 2; per call).
  // outer: feeder writes x at 1, 2, 3 (depth 2: write 2 waits for read 0 + 1 = 3: no delay), ends 3.
  //   worker: read x_0 at (1) + 1 = 2; inner region: +6; read x_1 locally at 6 -> 2 + 6 = 8;
  //   +6; x_2 at 14; +6: ends 20 (busy 18, stall 2). region 20 = the kernel.
  const auto *outer = region_of(nest, "outer"), *inner = region_of(nest, "inner");
  CHECK(nest.cycles == 20);
  CHECK(outer && outer->cycles == 20 && outer->calls == 1);
  PROC(outer, "feeder", 3u, 0u);
  PROC(outer, "worker", 18u, 2u);
  OCC(outer, "x", 2u);
  CHECK(inner && inner->calls == 3 && inner->cycles == 18);
  PROC(inner, "inner_p", 12u, 0u);
  PROC(inner, "inner_c", 12u, 6u);
  OCC(inner, "y", 1u);
  CHECK(stream_of(inner, "y") && stream_of(inner, "y")->writes == 12);
  CHECK(stage_of(loops, "flat") == 22 && stage_of(loops, "unflat") == 32 && stage_of(loops, "ii2") == 23);
  CHECK(loops.cycles == 22 + 32 + 23);
#endif
}

// ---------------------------------------------------------------------------------------------
// 5. Misuse: sequential code that fills a depth-2 FIFO with 3 values before reading any
//    (hardware: the third write waits forever), and a stream written in a dataflow function's
//    own body.

static long long seq_kernel() {
  UBIMOE_KERNEL("seq_kernel");
  hls::stream<int, 2> buf("buf");
  for (int i = 0; i < 3; i++) buf.write(i);
  long long s = 0;
  for (int i = 0; i < 3; i++) s += buf.read();
  return s;
}

static void outside_region(long long &out) {
  UBIMOE_DATAFLOW_REGION("outside");
  hls::stream<int> z("z");
  z.write(1);  // in the dataflow function itself, not in a process
  out = z.read();
}

static long long outside_kernel() {
  UBIMOE_KERNEL("outside_kernel");
  long long v = 0;
  outside_region(v);
  return v;
}

// A consumer that stops early: 5 values into a depth-2 FIFO, 2 read (the producer's third write
// would wait forever); and a stream with two writers.

static void early_producer(hls::stream<int> &s) {
  UBIMOE_PROCESS("early_producer");
  for (int i = 0; i < 5; i++) s.write(i);
}

static void early_consumer(hls::stream<int> &s, long long &out) {
  UBIMOE_PROCESS("early_consumer");
  out = s.read();
  out += s.read();
}

static void second_writer(hls::stream<int> &s) {
  UBIMOE_PROCESS("second_writer");
  s.write(9);
}

static void unread_region(bool two_writers, long long &out) {
  UBIMOE_DATAFLOW_REGION("unread");
  hls::stream<int> s("early");
  early_producer(s);
  if (two_writers) second_writer(s);
  early_consumer(s, out);
}

// A token left over: 3 values into a depth-4 FIFO, 2 read (no deadlock; the hardware would keep
// the third for the region's next call).
static void token_producer(hls::stream<int, 4> &s) {
  UBIMOE_PROCESS("token_producer");
  for (int i = 0; i < 3; i++) s.write(i);
}

static void token_consumer(hls::stream<int, 4> &s, long long &out) {
  UBIMOE_PROCESS("token_consumer");
  out = s.read();
  out += s.read();
}

static void tokens_region(long long &out) {
  UBIMOE_DATAFLOW_REGION("tokens");
  hls::stream<int, 4> s("tokens_ready");
  token_producer(s);
  token_consumer(s, out);
}

static long long leftover_kernel() {
  UBIMOE_KERNEL("leftover_kernel");
  long long v = 0;
  tokens_region(v);
  return v;
}

static long long unread_kernel(bool two_writers) {
  UBIMOE_KERNEL("unread_kernel");
  long long v = 0;
  unread_region(two_writers, v);
  return v;
}

// ---------------------------------------------------------------------------------------------

static int run(int argc, char **argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "deadlock1") std::printf("data deadlock1 %lld\n", reconverge_kernel(8, 1));
  else if (mode == "deadlock7") std::printf("data deadlock7 %lld\n", reconverge_kernel(8, 7));
  else if (mode == "deadlock_big") std::printf("data deadlock_big %lld\n", reconverge_kernel(200000, 1));
  else if (mode == "seq_deadlock") std::printf("data seq %lld\n", seq_kernel());
  else if (mode == "outside") std::printf("data outside %lld\n", outside_kernel());
  else if (mode == "unread") std::printf("data unread %lld\n", unread_kernel(false));
  else if (mode == "two_writers") std::printf("data two_writers %lld\n", unread_kernel(true));
  else if (mode == "leftover") std::printf("data leftover %lld\n", leftover_kernel());
  if (!mode.empty()) return 0;

#ifdef UBIMOE_TIMED_CSIM
  timing::begin_image();
#endif
  scenario_pc();
  scenario_reconverge();
#ifdef UBIMOE_TIMED_CSIM
  timing::begin_image();
#endif
  scenario_burst();
  scenario_nest();
#ifdef UBIMOE_TIMED_CSIM
  timing::end_image();
  CHECK(timing::images().size() == 2);
  CHECK(timing::images()[0].total_cycles() == 304 + 304 + 205 + 26);
  CHECK(timing::images()[1].total_cycles() == 398 + 302 + 20 + 77);
  std::printf("%d checks, %d failed\n", checks, failures);
  std::printf("%s", timing::to_json(250).c_str());
#endif
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
#ifdef UBIMOE_TIMED_CSIM
  // What a runner does: print the timing error and exit 1.
  try {
    return run(argc, argv);
  } catch (const timing::error &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
#else
  return run(argc, argv);
#endif
}
