// hls::stream of the csim headers (hls/csim/hls_stream.h).
// No argument: run the checks, then print the FIFO report to stdout (the jest test reads it).
// Argument "empty": read from an empty stream named "weights_in" (must abort with that name).
// Argument "leftover": a stream named "heads_ready" goes out of scope with 2 elements (must abort).
#include <cstdio>
#include <cstring>

#include "ap_fixed.h"
#include "hls_stream.h"

static int checks = 0, failures = 0;
static void check(int line, const char *expr, bool ok) {
  ++checks;
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "stream.cpp:%d: CHECK(%s) failed\n", line, expr);
  }
}
#define CHECK(...) check(__LINE__, #__VA_ARGS__, (__VA_ARGS__))

typedef ap_fixed<16, 4> data_t;

// A dataflow-style stage called several times: its local stream shares one report record.
static void stage(int n) {
  hls::stream<data_t> tmp("stage.tmp");
  UBIMOE_STREAM_DEPTH(tmp, 8);
  for (int i = 0; i < n; ++i) tmp.write(data_t(i));
  data_t v;
  while (tmp.read_nb(v)) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "empty") == 0) {
    hls::stream<ap_uint<256> > s("weights_in");
    s.write(ap_uint<256>(1));
    s.read();
    s.read();  // aborts
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "leftover") == 0) {
    {
      hls::stream<unsigned> s("heads_ready");
      s.write(1);
      s.write(2);
      s.write(3);
      s.read();
    }  // aborts: 2 left
    return 0;
  }

  hls::stream<data_t> a("a");
  CHECK(a.empty());
  CHECK(a.size() == 0);
  CHECK(!a.full());  // no depth declared: never full
  a.write(data_t(1.5));
  a << data_t(-2.25);
  a.write(data_t(3));
  CHECK(!a.empty());
  CHECK(a.size() == 3);
  CHECK(a.read() == 1.5);  // FIFO order
  data_t x;
  a >> x;
  CHECK(x == -2.25);
  a.read(x);
  CHECK(x == 3);
  CHECK(a.empty());
  CHECK(!a.read_nb(x));  // non-blocking read of an empty stream returns false, no abort
  CHECK(x == 3);         // and leaves the destination alone
  CHECK(std::strcmp(a.get_name(), "a") == 0);

  // Depth from the template argument (Vitis's hls::stream<T, D>).
  hls::stream<int, 2> b("b");
  CHECK(b.write_nb(1));
  CHECK(b.write_nb(2));
  CHECK(b.full());
  CHECK(!b.write_nb(3));  // full: refused
  b.write(3);             // a blocking write still succeeds in csim (recorded as exceeding the depth)
  CHECK(b.size() == 3);
  int v = 0;
  CHECK(b.read_nb(v) && v == 1);
  while (b.read_nb(v)) {  // a stream must be empty when it goes out of scope
  }

  // Depth from the csim-only macro, and a shared record across calls.
  stage(5);
  stage(3);

  hls::stream<int> unnamed;
  unnamed.write(7);
  CHECK(unnamed.read() == 7);

  std::printf("%d checks, %d failed\n", checks, failures);
  std::fflush(stdout);
  hls::csim_stream_report_at_exit(stdout);  // printed after main returns
  return failures == 0 ? 0 : 1;
}
