// quart SoC simulator: Verilator model of fpga/rtl/soc/soc_top.v with its UART on a pseudo-terminal.
//
// The UART RTL serialises every bit; this harness is the other end of the line, bit by bit, at the
// divisor the firmware programmed (o_dbg_uart_div), so bytes move exactly at the device's line rate in
// simulated cycles. Host -> device bytes are read from the pty master only while fewer than
// kRxQueueLimit bytes wait, so a fast writer is held back by the pty like a real serial link.
//
// Machine-readable lines on stdout (each flushed):
//   QUART_SIM_PTY <path>                      once the pty is open
//   QUART_SIM_HALT cause=<n> pc=<hex> cycle=<n>  the CPU halted (ecall/ebreak/illegal/misaligned)
//   QUART_SIM_EXIT code=<n> cycle=<n>         firmware wrote SYSCTL.SIM_EXIT (the harness then exits)
//   QUART_SIM_STATS key=value ...             on exit (SIGTERM/SIGINT, sim exit, --max-cycles, the
//                                             parent process gone)
//   QUART_SIM_MARK cycle=<n> line_rx=<n> line_tx=<n> div=<n>
//                                             on SIGUSR1: simulated time now (measurements in SoC cycles),
//                                             bytes that crossed the line each way so far, the divisor
//   QUART_SIM_BAUD div=<n> baud=<n> cycle=<n>  the firmware reprogrammed the UART divisor
//
// Options (plus Verilator's +args, e.g. +firmware=<hex> which --firmware sets):
//   --firmware <hex>     ROM image (32-bit words, one per line)
//   --flash <file>       contents of the QSPI flash model (16 MiB, erased = 0xff): loaded at start when the
//                        file exists, written back on exit (SIGTERM/SIGINT, sim exit, --max-cycles), so a
//                        fresh simulator given the same file boots with what the previous one stored
//   --ram-image <bin>    bytes written into the SPRAM model from the RAM base before reset (the app image
//                        the boot ROM loader checks and starts; on the board it comes from SPI flash)
//   --baud <n>           UART line rate after reset (default: the SoC's reset divisor)
//   --trace <file.vcd>   waveform (binary built with tracing only)
//   --pc-profile <file>  cycles spent at each CPU program counter, written on exit as "<pc hex> <cycles>"
//                        lines (firmware profiling: symbolize with the ELF, sim/device/pc-profile.ts)
//   --fault-drop <p>     drop each byte with probability p
//   --fault-flip <p>     flip one random bit of each byte with probability p
//   --fault-seed <n>     PRNG seed for fault injection (default 1)
//   --fault-dir <d>      rx (host->device, default), tx (device->host) or both
//   --check-host-baud    model the host's port rate: while the rate the client set on the pty (termios)
//                        differs from the device's by more than 3 %, bytes arrive as garbage both ways
//                        (half lost, half random), as between two real UARTs at different rates
//   --max-cycles <n>     stop after n cycles (0: run until killed)
//   --exit-on-halt       exit (code 3) when the CPU halts
//   --wait-client <ms>   start the clock only once a client has opened the pty, then <ms> later (so the
//                        banner is not lost to the client's open-time flush); without it the harness
//                        keeps the pty slave open itself and output waits in the pty for a reader
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "Vsoc_top.h"
#include "verilated.h"
#include "verilated_syms.h"
#ifdef QUART_TRACE
#include "verilated_vcd_c.h"
#endif

#ifndef QUART_CLOCK_HZ
#error "QUART_CLOCK_HZ must be defined (from fpga/soc/map.ts)"
#endif

namespace {

constexpr size_t kRxQueueLimit = 4096;       // host->device bytes buffered before we stop reading the pty
constexpr size_t kTxQueueLimit = 16u << 20;  // device->host bytes kept while nobody reads the pty
constexpr int kCyclesPerSlice = 2048;        // cycles simulated between pty polls

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_mark = 0;
void on_signal(int) { g_stop = 1; }
void on_mark(int) { g_mark = 1; }

// xorshift64*: deterministic fault injection.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dull;
  }
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
};

struct Faults {
  double drop = 0.0;
  double flip = 0.0;
  bool on_rx = true;
  bool on_tx = false;
  uint64_t dropped = 0;
  uint64_t flipped = 0;
  Rng rng{1};
  // Returns false when the byte is dropped; may flip one bit.
  bool apply(uint8_t& byte) {
    if (drop > 0.0 && rng.uniform() < drop) {
      ++dropped;
      return false;
    }
    if (flip > 0.0 && rng.uniform() < flip) {
      byte ^= static_cast<uint8_t>(1u << (rng.next() % 8));
      ++flipped;
    }
    return true;
  }
};

// Drives the device's RX line: start bit, 8 data bits LSB first, stop bit, `div` cycles each.
struct LineDriver {
  int bit = -1;  // -1 idle, 0 start, 1..8 data, 9 stop
  uint32_t left = 0;
  uint8_t byte = 0;
  bool busy() const { return bit >= 0; }
  void start(uint8_t b, uint32_t div) {
    byte = b;
    bit = 0;
    left = div;
  }
  // Line level for this cycle; advances one cycle.
  uint8_t tick(uint32_t div) {
    if (bit < 0) return 1;
    uint8_t level = bit == 0 ? 0 : bit == 9 ? 1 : (byte >> (bit - 1)) & 1;
    if (--left == 0) {
      left = div;
      if (++bit > 9) bit = -1;
    }
    return level;
  }
};

// Decodes the device's TX line, sampling in the middle of each bit.
struct LineReceiver {
  int bit = -1;  // -1 idle, 0 start, 1..8 data, 9 stop
  uint32_t left = 0;
  uint32_t div = 0;
  uint8_t byte = 0;
  uint64_t frame_errors = 0;
  // Returns true with `out` set when a byte completes this cycle.
  bool tick(uint8_t line, uint32_t cur_div, uint8_t& out) {
    if (bit < 0) {
      if (line == 0) {
        div = cur_div;
        bit = 0;
        left = div / 2;
      }
      return false;
    }
    if (--left != 0) return false;
    left = div;
    if (bit == 0) {
      if (line != 0) bit = -1;  // glitch
      else bit = 1;
      return false;
    }
    if (bit <= 8) {
      byte = static_cast<uint8_t>((byte >> 1) | (line << 7));
      ++bit;
      return false;
    }
    bit = -1;
    if (line == 1) {
      out = byte;
      return true;
    }
    ++frame_errors;
    return false;
  }
};

// Written to a temporary name and renamed: a reader never sees half a profile.
void save_pc_profile(const std::string& path, const std::vector<uint64_t>& pc_cycles) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "quart sim: cannot write %s\n", tmp.c_str());
    return;
  }
  for (size_t i = 0; i + 1 < pc_cycles.size(); ++i)
    if (pc_cycles[i]) std::fprintf(f, "%08zx %" PRIu64 "\n", i * 4, pc_cycles[i]);
  if (pc_cycles.back()) std::fprintf(f, "other %" PRIu64 "\n", pc_cycles.back());
  if (std::fclose(f) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0)
    std::fprintf(stderr, "quart sim: cannot write %s\n", path.c_str());
}

struct Options {
  std::string firmware;
  std::string ram_image;
  std::string flash;
  std::string trace;
  std::string pc_profile;
  uint32_t baud = 0;
  uint64_t max_cycles = 0;
  bool exit_on_halt = false;
  bool check_host_baud = false;
  int wait_client_ms = -1;
  Faults faults;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "quart sim: %s\n", msg);
  std::exit(2);
}

Options parse(int argc, char** argv, std::vector<std::string>& plusargs) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--firmware") o.firmware = value();
    else if (a == "--ram-image") o.ram_image = value();
    else if (a == "--flash") o.flash = value();
    else if (a == "--baud") o.baud = static_cast<uint32_t>(std::stoul(value()));
    else if (a == "--trace") o.trace = value();
    else if (a == "--pc-profile") o.pc_profile = value();
    else if (a == "--fault-drop") o.faults.drop = std::stod(value());
    else if (a == "--fault-flip") o.faults.flip = std::stod(value());
    else if (a == "--fault-seed") o.faults.rng = Rng(std::stoull(value()));
    else if (a == "--fault-dir") {
      std::string d = value();
      if (d != "rx" && d != "tx" && d != "both") usage("--fault-dir takes rx, tx or both");
      o.faults.on_rx = d != "tx";
      o.faults.on_tx = d != "rx";
    } else if (a == "--max-cycles") o.max_cycles = std::stoull(value());
    else if (a == "--exit-on-halt") o.exit_on_halt = true;
    else if (a == "--check-host-baud") o.check_host_baud = true;
    else if (a == "--wait-client") o.wait_client_ms = std::stoi(value());
    else if (!a.empty() && a[0] == '+') plusargs.push_back(a);
    else usage(("unknown option " + a).c_str());
  }
  if (!o.firmware.empty()) plusargs.push_back("+firmware=" + o.firmware);
  if (o.baud != 0) {
    uint64_t div = (QUART_CLOCK_HZ + o.baud / 2) / o.baud;
    if (div < 4 || div > 0xffff) usage("--baud out of range for the UART divisor (4..65535)");
    plusargs.push_back("+uart_div=" + std::to_string(div));
  }
  return o;
}

// The rate the client set on the pty (the pair shares one termios), 0 when it is not a standard one.
uint32_t pty_baud(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return 0;
  switch (cfgetospeed(&t)) {
    case B9600: return 9600;
    case B19200: return 19200;
    case B38400: return 38400;
    case B57600: return 57600;
    case B115200: return 115200;
    case B230400: return 230400;
    case B460800: return 460800;
    case B500000: return 500000;
    case B921600: return 921600;
    case B1000000: return 1000000;
    case B1500000: return 1500000;
    case B2000000: return 2000000;
    case B2500000: return 2500000;
    case B3000000: return 3000000;
    case B4000000: return 4000000;
    default: return 0;
  }
}

// Writes `path` into the RAM from its base. The RAM is SB_SPRAM256KA models (16 K x 16 bit, r_mem marked
// public): in each pair u_lo holds bits 15:0 and u_hi bits 31:16 of a word; u_pair1 is the second 64 KiB.
bool load_ram_image(VerilatedContext& ctx, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "quart sim: cannot open --ram-image %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  std::fclose(f);
  bytes.resize((bytes.size() + 3) & ~size_t{3}, 0);
  size_t words = bytes.size() / 4, capacity = 0;
  const VerilatedScopeNameMap* scopes = ctx.scopeNameMap();
  for (const auto& kv : *scopes) {
    std::string name = kv.first;
    if (name.find(".u_ram.") == std::string::npos) continue;
    bool lo = name.size() > 5 && name.compare(name.size() - 5, 5, ".u_lo") == 0;
    bool hi = name.size() > 5 && name.compare(name.size() - 5, 5, ".u_hi") == 0;
    if (!lo && !hi) continue;
    VerilatedVar* var = kv.second->varFind("r_mem");
    if (!var) continue;
    auto* mem = static_cast<uint16_t*>(var->datap());
    size_t first = name.find(".u_pair1.") != std::string::npos ? 16384 : 0;
    capacity = std::max(capacity, first + 16384);
    for (size_t w = first; w < words && w < first + 16384; ++w) {
      const uint8_t* b = &bytes[w * 4 + (hi ? 2 : 0)];
      mem[w - first] = static_cast<uint16_t>(b[0] | (b[1] << 8));
    }
  }
  if (capacity == 0) {
    std::fprintf(stderr, "quart sim: no public SPRAM model found for --ram-image\n");
    return false;
  }
  if (words > capacity) {
    std::fprintf(stderr, "quart sim: --ram-image %s is %zu bytes, larger than the RAM (%zu)\n", path.c_str(),
                 bytes.size(), capacity * 4);
    return false;
  }
  return true;
}

// The flash model's array (spi_flash_model.v r_mem, public): one byte per entry.
uint8_t* flash_array(VerilatedContext& ctx, size_t& bytes) {
  for (const auto& kv : *ctx.scopeNameMap()) {
    if (std::string(kv.first).find("u_flash_mem") == std::string::npos) continue;
    VerilatedVar* var = kv.second->varFind("r_mem");
    if (!var) continue;
    bytes = static_cast<size_t>(var->totalSize());
    return static_cast<uint8_t*>(var->datap());
  }
  return nullptr;
}

// Fills the flash model from `path` if it exists (a missing file is an erased flash).
bool load_flash(VerilatedContext& ctx, const std::string& path) {
  size_t cap = 0;
  uint8_t* mem = flash_array(ctx, cap);
  if (!mem) {
    std::fprintf(stderr, "quart sim: --flash given, but this build has no flash model\n");
    return false;
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return errno == ENOENT;
  size_t n = std::fread(mem, 1, cap, f);
  std::fclose(f);
  std::printf("QUART_SIM_FLASH loaded=%zu\n", n);
  return true;
}

// Writes the whole flash model to `path` (through a temporary file, so a crash never leaves half of it).
void save_flash(VerilatedContext& ctx, const std::string& path) {
  size_t cap = 0;
  uint8_t* mem = flash_array(ctx, cap);
  if (!mem) return;
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f || std::fwrite(mem, 1, cap, f) != cap || std::fclose(f) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "quart sim: cannot write --flash %s: %s\n", path.c_str(), std::strerror(errno));
    return;
  }
  std::printf("QUART_SIM_FLASH saved=%zu\n", cap);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> plusargs;
  Options opt = parse(argc, argv, plusargs);

  auto ctx = std::make_unique<VerilatedContext>();
  std::vector<const char*> vargv{argv[0]};
  for (auto& p : plusargs) vargv.push_back(p.c_str());
  ctx->commandArgs(static_cast<int>(vargv.size()), vargv.data());
  auto top = std::make_unique<Vsoc_top>(ctx.get());
  if (!opt.ram_image.empty() && !load_ram_image(*ctx, opt.ram_image)) return 2;

#ifdef QUART_TRACE
  std::unique_ptr<VerilatedVcdC> vcd;
  if (!opt.trace.empty()) {
    ctx->traceEverOn(true);
    vcd = std::make_unique<VerilatedVcdC>();
    top->trace(vcd.get(), 99);
    vcd->open(opt.trace.c_str());
  }
#else
  if (!opt.trace.empty()) usage("this binary was built without tracing (buildSim({ trace: true }))");
#endif

  int master = -1, slave = -1;
  char name[256] = {0};
  if (openpty(&master, &slave, name, nullptr, nullptr) != 0) {
    std::perror("openpty");
    return 1;
  }
  struct termios tio;
  tcgetattr(slave, &tio);
  cfmakeraw(&tio);
  tcsetattr(slave, TCSANOW, &tio);
  // The slave stays open here too, so the master never reads EIO while no client is attached.
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGUSR1, on_mark);
  // The parent (quart sim, a test) may die without stopping us, even by SIGKILL, and may have left us
  // stopped (SIGSTOP while no command is attached): the kernel then sends SIGCONT, which wakes a stopped
  // process, and the slice loop sees the new parent and exits as on SIGTERM (flash saved, stats out).
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGCONT);
  auto orphaned = [parent] { return getppid() != parent; };
  if (orphaned()) return 0;
  std::printf("QUART_SIM_PTY %s\n", name);
  std::fflush(stdout);
  if (opt.wait_client_ms >= 0) {
    // With our slave fd closed, the master reports POLLHUP until a client opens the slave.
    close(slave);
    slave = -1;
    for (;;) {
      if (g_stop || orphaned()) return 0;
      struct pollfd p = {master, POLLIN, 0};
      poll(&p, 1, 10);
      if (!(p.revents & POLLHUP)) break;
    }
    usleep(static_cast<useconds_t>(opt.wait_client_ms) * 1000u);
  }

  std::deque<uint8_t> to_device, to_host;
  LineDriver driver;
  LineReceiver receiver;
  uint64_t cycle = 0, retired = 0, rx_bytes = 0, tx_bytes = 0, tx_overflow = 0;
  uint64_t line_rx = 0, line_tx = 0;  // bytes that started on the device's RX line / left its TX line
  uint32_t last_div = 0;  // 0: not seen yet (the reset divisor is not a change)
  bool mismatch = false;  // --check-host-baud: host and device rates differ
  uint64_t garbled = 0;
  Rng garble_rng{0x5eed};
  // A byte between ends at different rates: lost or replaced by another (false: lost).
  auto garble = [&](uint8_t& b) {
    ++garbled;
    if (garble_rng.uniform() < 0.5) return false;
    b = static_cast<uint8_t>(garble_rng.next());
    return true;
  };
  // --pc-profile: cycles per instruction word of the low 128 KiB (ROM and RAM), the rest in one bin
  constexpr uint32_t kProfileWords = 0x20000 / 4;
  std::vector<uint64_t> pc_cycles(opt.pc_profile.empty() ? 0 : kProfileWords + 1, 0);
  bool halted_reported = false;
  int exit_code = 0;
  bool done = false;
  uint8_t buf[4096];

  top->i_clk = 0;
  top->i_rst_n = 1;
  top->i_uart_rx = 1;
  top->eval();
  // after the first eval: the flash model's initial block erases its array then
  if (!opt.flash.empty() && !load_flash(*ctx, opt.flash)) return 2;
  auto t0 = std::chrono::steady_clock::now();

  while (!done && !g_stop && !orphaned()) {
    for (int k = 0; k < kCyclesPerSlice; ++k) {
      uint32_t div = top->o_dbg_uart_div;
      if (!driver.busy() && !to_device.empty()) {
        uint8_t b = to_device.front();
        to_device.pop_front();
        if (mismatch ? garble(b) : (!opt.faults.on_rx || opt.faults.apply(b))) {
          driver.start(b, div);
          ++line_rx;
        }
      }
      top->i_uart_rx = driver.tick(div);
      top->i_clk = 1;
      top->eval();
#ifdef QUART_TRACE
      if (vcd) vcd->dump(ctx->time());
      ctx->timeInc(1);
#endif
      top->i_clk = 0;
      top->eval();
#ifdef QUART_TRACE
      if (vcd) vcd->dump(ctx->time());
      ctx->timeInc(1);
#endif
      ++cycle;
      if (!pc_cycles.empty()) ++pc_cycles[std::min<uint32_t>(top->o_dbg_pc / 4, kProfileWords)];
      retired += top->o_dbg_retire;
      uint8_t out;
      if (receiver.tick(top->o_uart_tx, div, out)) {
        ++line_tx;
        if (mismatch ? garble(out) : (!opt.faults.on_tx || opt.faults.apply(out))) {
          if (to_host.size() < kTxQueueLimit) to_host.push_back(out);
          else ++tx_overflow;
        }
      }
      if (top->o_dbg_halted && !halted_reported) {
        halted_reported = true;
        std::printf("QUART_SIM_HALT cause=%u pc=0x%08x cycle=%" PRIu64 "\n",
                    static_cast<unsigned>(top->o_dbg_halt_cause), static_cast<unsigned>(top->o_dbg_pc), cycle);
        std::fflush(stdout);
        if (opt.exit_on_halt) {
          exit_code = 3;
          done = true;
        }
      } else if (!top->o_dbg_halted) {
        halted_reported = false;  // a reset (watchdog, button) restarted the CPU
      }
      if (top->o_dbg_sim_exit) {
        exit_code = top->o_dbg_sim_exit_code;
        std::printf("QUART_SIM_EXIT code=%d cycle=%" PRIu64 "\n", exit_code, cycle);
        std::fflush(stdout);
        done = true;
      }
      if (opt.max_cycles != 0 && cycle >= opt.max_cycles) done = true;
      if (done) break;
    }

    if (opt.check_host_baud && top->o_dbg_uart_div != 0) {
      uint32_t host = pty_baud(master), dev = static_cast<uint32_t>(QUART_CLOCK_HZ / top->o_dbg_uart_div);
      mismatch = host != 0 && (host > dev ? host - dev : dev - host) * 100ull > 3ull * dev;
    }
    if (last_div == 0) last_div = top->o_dbg_uart_div;
    if (top->o_dbg_uart_div != last_div) {
      last_div = top->o_dbg_uart_div;
      std::printf("QUART_SIM_BAUD div=%u baud=%u cycle=%" PRIu64 "\n", last_div,
                  last_div ? static_cast<unsigned>(QUART_CLOCK_HZ / last_div) : 0u, cycle);
      std::fflush(stdout);
    }
    if (g_mark) {
      g_mark = 0;
      std::printf("QUART_SIM_MARK cycle=%" PRIu64 " line_rx=%" PRIu64 " line_tx=%" PRIu64 " div=%u\n", cycle,
                  line_rx, line_tx, static_cast<unsigned>(top->o_dbg_uart_div));
      std::fflush(stdout);
    }

    // Service the pty without blocking.
    struct pollfd pfd = {master, static_cast<short>(POLLIN | (to_host.empty() ? 0 : POLLOUT)), 0};
    // POLLHUP: no client has the pty open (only possible with --wait-client); keep output queued.
    if (poll(&pfd, 1, 0) > 0 && !(pfd.revents & POLLHUP)) {
      if ((pfd.revents & POLLIN) && to_device.size() < kRxQueueLimit) {
        ssize_t n = read(master, buf, std::min(sizeof buf, kRxQueueLimit - to_device.size()));
        if (n > 0) {
          to_device.insert(to_device.end(), buf, buf + n);
          rx_bytes += static_cast<uint64_t>(n);
        }
      }
      if ((pfd.revents & POLLOUT) && !to_host.empty()) {
        size_t n = std::min(sizeof buf, to_host.size());
        std::copy(to_host.begin(), to_host.begin() + static_cast<long>(n), buf);
        ssize_t w = write(master, buf, n);
        if (w > 0) {
          to_host.erase(to_host.begin(), to_host.begin() + w);
          tx_bytes += static_cast<uint64_t>(w);
        }
      }
    }
  }

  // Let a reader collect what the device sent last (up to 1 s).
  for (int i = 0; i < 100 && !to_host.empty(); ++i) {
    size_t n = std::min(sizeof buf, to_host.size());
    std::copy(to_host.begin(), to_host.begin() + static_cast<long>(n), buf);
    ssize_t w = write(master, buf, n);
    if (w > 0) {
      to_host.erase(to_host.begin(), to_host.begin() + w);
      tx_bytes += static_cast<uint64_t>(w);
    } else {
      usleep(10000);
    }
  }

  if (!opt.flash.empty()) save_flash(*ctx, opt.flash);
  if (!pc_cycles.empty()) save_pc_profile(opt.pc_profile, pc_cycles);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("QUART_SIM_STATS cycles=%" PRIu64 " seconds=%.3f cycles_per_second=%.0f retired=%" PRIu64
              " rx_bytes=%" PRIu64 " tx_bytes=%" PRIu64 " dropped=%" PRIu64 " flipped=%" PRIu64
              " frame_errors=%" PRIu64 " tx_overflow=%" PRIu64 " garbled=%" PRIu64 "\n",
              cycle, secs, secs > 0 ? cycle / secs : 0.0, retired, rx_bytes, tx_bytes, opt.faults.dropped,
              opt.faults.flipped, receiver.frame_errors, tx_overflow, garbled);
  std::fflush(stdout);
#ifdef QUART_TRACE
  if (vcd) vcd->close();
#endif
  top->final();
  close(master);
  if (slave >= 0) close(slave);
  return exit_code;
}
