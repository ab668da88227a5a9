// ubimoe runner protocol (version 1): the one binary framed protocol spoken on stdin/stdout by
// the csim runner and by the XRT host. The specification is docs/protocol.md; the TypeScript side
// is src/driver/protocol.ts. Host-side code only (never part of a kernel): plain C++17, no XRT.
//
// Frame = 16-byte header | body | 4-byte CRC-32 (IEEE) of header and body. All integers little-endian.
//   header: magic "UBMF", u8 version, u8 type, u16 reserved (0), u32 request id, u32 body bytes
#ifndef UBIMOE_PROTOCOL_H
#define UBIMOE_PROTOCOL_H

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <fcntl.h>
#include <unistd.h>

namespace ubimoe_protocol {

constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 16;
constexpr size_t kTrailerBytes = 4;
constexpr size_t kHashBytes = 64;           // design hash field of the hello frame (ASCII, NUL padded)
constexpr size_t kHelloBodyBytes = 8 + kHashBytes + 9 * 4;
constexpr size_t kRequestHeadBytes = 24;    // task, kind, dims[3], dtype
constexpr size_t kResponseHeadBytes = 40;   // status, tokens, dim, moe blocks, top-k, reserved, cycles, ns
constexpr size_t kMaxErrorMessage = 1024;   // error messages are cut to this many bytes
constexpr uint32_t kNoRequest = 0xFFFFFFFFu; // request id of frames not tied to a request

enum FrameType : uint8_t { kHello = 1, kRequest = 2, kResponse = 3, kError = 4, kShutdown = 5 };
enum InputKind : uint32_t { kKindImage = 1, kKindTokens = 2 };
enum DType : uint32_t { kFloat32 = 1 };
enum Backend : uint16_t { kBackendCsim = 1, kBackendXrt = 2 };

// Error codes carried by error frames (docs/protocol.md lists them with their meaning).
enum ErrorCode : uint32_t {
  kErrBadMagic = 1,       // framing lost: not a ubimoe frame
  kErrBadVersion = 2,     // protocol version not supported
  kErrBadChecksum = 3,    // CRC mismatch
  kErrTruncated = 4,      // input ended inside a frame
  kErrBadType = 5,        // unknown or unexpected frame type
  kErrBadLength = 6,      // body length impossible for the frame type / larger than this design allows
  kErrBadShape = 7,       // request shape does not match the design's model
  kErrBadTask = 8,        // task id out of range
  kErrBadValue = 9,       // NaN or Inf in the input
  kErrBadDtype = 10,      // payload element type not supported
  kErrWeights = 11,       // packed weights missing, corrupt, or for another design
  kErrDevice = 12,        // no FPGA device / xclbin not loadable
  kErrForward = 13,       // the forward pass failed
  kErrUsage = 14,         // bad command line
  kErrIo = 15,            // read/write error on the channel
};

// Exit statuses of a runner (the driver reports them).
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitProtocol = 3;
constexpr int kExitWeights = 4;
constexpr int kExitDevice = 5;

inline const char* error_name(uint32_t code) {
  switch (code) {
    case kErrBadMagic: return "BAD_MAGIC";
    case kErrBadVersion: return "BAD_VERSION";
    case kErrBadChecksum: return "BAD_CHECKSUM";
    case kErrTruncated: return "TRUNCATED";
    case kErrBadType: return "BAD_TYPE";
    case kErrBadLength: return "BAD_LENGTH";
    case kErrBadShape: return "BAD_SHAPE";
    case kErrBadTask: return "BAD_TASK";
    case kErrBadValue: return "BAD_VALUE";
    case kErrBadDtype: return "BAD_DTYPE";
    case kErrWeights: return "WEIGHTS";
    case kErrDevice: return "DEVICE";
    case kErrForward: return "FORWARD";
    case kErrUsage: return "USAGE";
    case kErrIo: return "IO";
    default: return "UNKNOWN";
  }
}

// ---- little-endian field access (explicit bytes, so the wire format never depends on the host) ----
inline void put_u16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (8 * i));
}
inline uint16_t get_u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// Float and int32 payloads are copied as raw bytes: valid only on a little-endian host, which
// every target is (x86-64 and the Arm cores of Zynq/Versal); runners check this at start.
inline bool host_is_little_endian() {
  const uint32_t one = 1;
  uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// ---- CRC-32 (IEEE 802.3, reflected, as zlib's crc32) ----
inline const uint32_t* crc_table() {
  static uint32_t table[256];
  static bool ready = false;
  if (!ready) {
    for (uint32_t n = 0; n < 256; n++) {
      uint32_t c = n;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    ready = true;
  }
  return table;
}
// Incremental: crc32(b, crc32(a)) == crc32(a ++ b); start with crc = 0.
inline uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0) {
  const uint32_t* table = crc_table();
  uint32_t c = crc ^ 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// ---- the channel: blocking reads and writes on two file descriptors ----
enum ReadStatus { kReadOk, kReadEnd, kReadTruncated, kReadError };

class Channel {
 public:
  Channel(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {}

  // Reads exactly n bytes. kReadEnd: the input ended before the first byte; kReadTruncated: after it.
  ReadStatus read_exact(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(in_fd_, dst + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return kReadError;
      if (r == 0) return got == 0 ? kReadEnd : kReadTruncated;
      got += size_t(r);
    }
    return kReadOk;
  }

  bool write_all(const uint8_t* src, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(out_fd_, src + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      done += size_t(w);
    }
    return true;
  }

 private:
  int in_fd_;
  int out_fd_;
};

// One piece of a frame body (frames are written from several buffers without copying them together).
struct Part {
  const void* data;
  size_t bytes;
};

inline bool write_frame(Channel& ch, uint8_t type, uint32_t request_id, const Part* parts, size_t nparts) {
  size_t body = 0;
  for (size_t i = 0; i < nparts; i++) body += parts[i].bytes;
  if (body > 0xFFFFFFFFu) return false;
  uint8_t header[kHeaderBytes] = {'U', 'B', 'M', 'F', kVersion, type, 0, 0};
  put_u32(header + 8, request_id);
  put_u32(header + 12, uint32_t(body));
  uint32_t crc = crc32(header, kHeaderBytes);
  if (!ch.write_all(header, kHeaderBytes)) return false;
  for (size_t i = 0; i < nparts; i++) {
    const uint8_t* p = static_cast<const uint8_t*>(parts[i].data);
    crc = crc32(p, parts[i].bytes, crc);
    if (parts[i].bytes && !ch.write_all(p, parts[i].bytes)) return false;
  }
  uint8_t trailer[kTrailerBytes];
  put_u32(trailer, crc);
  return ch.write_all(trailer, kTrailerBytes);
}

inline bool write_error(Channel& ch, uint32_t request_id, uint32_t code, const std::string& message) {
  uint8_t head[4];
  put_u32(head, code);
  size_t len = message.size() < kMaxErrorMessage ? message.size() : kMaxErrorMessage;
  Part parts[2] = {{head, 4}, {message.data(), len}};
  return write_frame(ch, kError, request_id, parts, 2);
}

// The model facts a runner announces in its hello frame (the driver checks them against the project).
struct HelloInfo {
  uint16_t backend;
  std::string design_hash;
  uint32_t channels, height, width, tokens, dim, moe_blocks, top_k, tasks;
  uint32_t max_in_flight;  // requests the runner may hold at once (it still answers in order)
};

// A request (an image: C·H·W floats) and a response are larger than a default 64 KiB pipe. With the
// pipes enlarged to hold whole frames, the driver queues the next request while this one computes
// and the runner / host writes its response without waiting for the driver to read: no round trips
// through the driver's event loop per frame. Best effort (Linux, up to fs.pipe-max-size; a file or
// a terminal is left alone).
inline void enlarge_pipe(int fd, size_t bytes) {
#ifdef F_SETPIPE_SZ
  const int want = bytes > (1u << 20) ? (1 << 20) : int(bytes);
  if (fcntl(fd, F_GETPIPE_SZ) < want) (void)fcntl(fd, F_SETPIPE_SZ, want);
#else
  (void)fd;
  (void)bytes;
#endif
}

inline bool write_hello(Channel& ch, const HelloInfo& h) {
  uint8_t body[kHelloBodyBytes] = {0};
  put_u16(body, kVersion);
  put_u16(body + 2, h.backend);
  put_u32(body + 4, 0);  // flags, none defined yet
  std::memcpy(body + 8, h.design_hash.data(), h.design_hash.size() < kHashBytes ? h.design_hash.size() : kHashBytes);
  const uint32_t fields[9] = {h.channels, h.height, h.width, h.tokens, h.dim, h.moe_blocks, h.top_k, h.tasks, h.max_in_flight};
  for (int i = 0; i < 9; i++) put_u32(body + 8 + kHashBytes + 4 * i, fields[i]);
  Part part = {body, sizeof body};
  return write_frame(ch, kHello, kNoRequest, &part, 1);
}

// ---- reading frames ----
struct FrameHeader {
  uint8_t type;
  uint32_t request_id;
  uint32_t body_bytes;
};

// Result of read_frame: ok, the clean end of the input, or a protocol error (code + message) after
// which the stream cannot be trusted any more: the runner answers with an error frame and exits.
struct ReadResult {
  enum Kind { kOk, kEnd, kFail } kind;
  uint32_t code;
  std::string message;
};

// Reads one frame into `body` (capacity `max_body` bytes; larger frames are refused before any
// byte of their body is read, so nothing is ever written past the buffer).
inline ReadResult read_frame(Channel& ch, FrameHeader& hdr, uint8_t* body, size_t max_body) {
  uint8_t header[kHeaderBytes];
  ReadStatus s = ch.read_exact(header, kHeaderBytes);
  if (s == kReadEnd) return {ReadResult::kEnd, 0, ""};
  if (s == kReadTruncated) return {ReadResult::kFail, kErrTruncated, "input ended inside a frame header"};
  if (s == kReadError) return {ReadResult::kFail, kErrIo, std::string("read error: ") + std::strerror(errno)};
  if (std::memcmp(header, "UBMF", 4) != 0) return {ReadResult::kFail, kErrBadMagic, "bad frame magic (expected \"UBMF\")"};
  if (header[4] != kVersion)
    return {ReadResult::kFail, kErrBadVersion,
            "protocol version " + std::to_string(header[4]) + " not supported (this runner speaks " + std::to_string(kVersion) + ")"};
  hdr.type = header[5];
  hdr.request_id = get_u32(header + 8);
  hdr.body_bytes = get_u32(header + 12);
  if (get_u16(header + 6) != 0) return {ReadResult::kFail, kErrBadType, "reserved header bytes are not zero"};
  if (hdr.body_bytes > max_body)
    return {ReadResult::kFail, kErrBadLength,
            "frame body of " + std::to_string(hdr.body_bytes) + " bytes exceeds the largest this design accepts (" +
                std::to_string(max_body) + ")"};
  s = hdr.body_bytes ? ch.read_exact(body, hdr.body_bytes) : kReadOk;
  if (s == kReadEnd || s == kReadTruncated) return {ReadResult::kFail, kErrTruncated, "input ended inside a frame body"};
  if (s == kReadError) return {ReadResult::kFail, kErrIo, std::string("read error: ") + std::strerror(errno)};
  uint8_t trailer[kTrailerBytes];
  s = ch.read_exact(trailer, kTrailerBytes);
  if (s == kReadEnd || s == kReadTruncated) return {ReadResult::kFail, kErrTruncated, "input ended inside a frame checksum"};
  if (s == kReadError) return {ReadResult::kFail, kErrIo, std::string("read error: ") + std::strerror(errno)};
  const uint32_t crc = crc32(body, hdr.body_bytes, crc32(header, kHeaderBytes));
  if (crc != get_u32(trailer)) return {ReadResult::kFail, kErrBadChecksum, "frame checksum mismatch"};
  return {ReadResult::kOk, 0, ""};
}

// A decoded request (points into the body buffer it was parsed from).
struct Request {
  uint32_t task;
  uint32_t kind;
  uint32_t dims[3];
  uint32_t dtype;
  const uint8_t* payload;  // dims[0]*dims[1]*dims[2] little-endian float32 values
  size_t count;
};

// The shapes a runner accepts: image [C,H,W] and tokens [N,D,1].
struct Expected {
  uint32_t channels, height, width, tokens, dim, tasks;
};

// Checks a request body against the design; on failure returns false with a code and a message
// (a well-formed request with wrong contents is answered with an error frame and the runner goes on).
inline bool parse_request(const uint8_t* body, size_t bytes, const Expected& e, Request& r, uint32_t& code, std::string& msg) {
  if (bytes < kRequestHeadBytes) {
    code = kErrBadLength;
    msg = "request body of " + std::to_string(bytes) + " bytes is shorter than its " + std::to_string(kRequestHeadBytes) + "-byte head";
    return false;
  }
  r.task = get_u32(body);
  r.kind = get_u32(body + 4);
  for (int i = 0; i < 3; i++) r.dims[i] = get_u32(body + 8 + 4 * i);
  r.dtype = get_u32(body + 20);
  r.payload = body + kRequestHeadBytes;
  auto shape = [&](uint32_t a, uint32_t b, uint32_t c) {
    return "[" + std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) + "]";
  };
  if (r.dtype != kFloat32) {
    code = kErrBadDtype;
    msg = "payload dtype code " + std::to_string(r.dtype) + " not supported (1 = float32)";
    return false;
  }
  if (r.kind == kKindImage) {
    if (r.dims[0] != e.channels || r.dims[1] != e.height || r.dims[2] != e.width) {
      code = kErrBadShape;
      msg = "image shape " + shape(r.dims[0], r.dims[1], r.dims[2]) + " does not match the design's " + shape(e.channels, e.height, e.width);
      return false;
    }
  } else if (r.kind == kKindTokens) {
    if (r.dims[0] != e.tokens || r.dims[1] != e.dim || r.dims[2] != 1) {
      code = kErrBadShape;
      msg = "token shape " + shape(r.dims[0], r.dims[1], r.dims[2]) + " does not match the design's " + shape(e.tokens, e.dim, 1);
      return false;
    }
  } else {
    code = kErrBadShape;
    msg = "request kind " + std::to_string(r.kind) + " unknown (1 = image, 2 = tokens)";
    return false;
  }
  r.count = size_t(r.dims[0]) * r.dims[1] * r.dims[2];
  if (bytes != kRequestHeadBytes + 4 * r.count) {
    code = kErrBadLength;
    msg = "request body of " + std::to_string(bytes) + " bytes does not hold " + std::to_string(r.count) + " float32 values";
    return false;
  }
  if (r.task >= e.tasks) {
    code = kErrBadTask;
    msg = "task " + std::to_string(r.task) + " out of range (the model has " + std::to_string(e.tasks) + ")";
    return false;
  }
  return true;
}

// Copies the payload into `dst` (count floats) and checks every value is finite.
inline bool copy_finite(const Request& r, float* dst, uint32_t& code, std::string& msg) {
  std::memcpy(dst, r.payload, 4 * r.count);
  for (size_t i = 0; i < r.count; i++) {
    if (!std::isfinite(dst[i])) {
      code = kErrBadValue;
      msg = "input value " + std::to_string(i) + " is not finite";
      return false;
    }
  }
  return true;
}

// Largest request body a design accepts (image or tokens, whichever is larger).
inline size_t max_request_body(const Expected& e) {
  const size_t image = size_t(e.channels) * e.height * e.width;
  const size_t tokens = size_t(e.tokens) * e.dim;
  return kRequestHeadBytes + 4 * (image > tokens ? image : tokens);
}

// Response: head then tokens (float32 [tokens, dim]) then expert choices (int32 [moe_blocks, tokens, top_k]).
inline bool write_response(Channel& ch, uint32_t request_id, uint32_t tokens, uint32_t dim, uint32_t moe_blocks, uint32_t top_k,
                           uint64_t device_cycles, uint64_t device_ns, const float* out, const int32_t* experts) {
  uint8_t head[kResponseHeadBytes] = {0};
  put_u32(head, 0);  // status ok
  put_u32(head + 4, tokens);
  put_u32(head + 8, dim);
  put_u32(head + 12, moe_blocks);
  put_u32(head + 16, top_k);
  put_u64(head + 24, device_cycles);
  put_u64(head + 32, device_ns);
  Part parts[3] = {{head, sizeof head},
                   {out, size_t(tokens) * dim * 4},
                   {experts, size_t(moe_blocks) * tokens * top_k * 4}};
  return write_frame(ch, kResponse, request_id, parts, 3);
}

}  // namespace ubimoe_protocol

#endif  // UBIMOE_PROTOCOL_H
