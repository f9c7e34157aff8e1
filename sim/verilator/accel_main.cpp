// quart accelerator core harness: Verilator model of fpga/rtl/accel/quart_accel.v with C++ models of
// the program memory and of the three external segments (ACT, WGT, TBL).
//
// The program, the weights and the tables are loaded into their memories and the ACT segment is
// initialised from a file; the harness programs the base registers, starts the core, runs it to DONE
// (or an error, or --max-cycles) and writes the ACT segment back.
//
// Memory timing per segment (the perf model's ExternalMemory): a burst request (one DMA row) waits
// row-overhead cycles, plus the access latency on the first row of an instruction (o_mreq_first), then
// moves one byte every 1/bytes-per-cycle cycles (the ports are one byte wide, so at most one per
// cycle). Program words arrive --fetch-cycles after their request.
//
// Output lines:
//   QUART_ACCEL status=<hex> cycles=<n> ... (the counter registers)   on exit
//   QUART_ACCEL_SPEED cycles_per_s=<n> cpu_cycles_per_s=<n>   (wall clock; this process's CPU time, which
//                                                               a machine shared with other jobs does not skew)
// Options: --prog <bin> --wgt <bin> --tbl <bin> --act <bin> --act-out <bin> --max-cycles <n>
//          --fetch-cycles <n> --seg <i>:<latency>:<row>:<num>:<den> (bytes per cycle = num/den)
//          --burst-seg <i>:<read latency>:<write latency>:<cycles per byte>:<burst bytes> (the SoC's PSRAM)
//          --shared-memory: the SoC's memory system instead of a memory per port: one device (the timing of
//            the ACT segment's --burst-seg) serves the program port and the three DMA ports one transfer at
//            a time, granted round-robin as soc_xmem.v does; a program word is a 16-byte transfer
//          --dma-trace <file>: one record per DMA instruction, in the order each port received them, so
//            that the caller can tell when each layer's last STORE finished (per-layer cycles of a whole
//            model without probing the core's internals). Record: 4 little-endian uint32 words: port
//            (0 load, 1 LOADT, 2 store), 0, cycle its first request was granted, cycle after its last
//            byte moved (cycles counted from the start write, as the CYCLES register does).
#include <chrono>
#include <ctime>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vquart_accel.h"
#include "verilated.h"

namespace {

constexpr uint32_t kProgBase = 0x00000000u;
constexpr uint32_t kSegBase[3] = {0x10000000u, 0x20000000u, 0x30000000u};

std::vector<uint8_t> read_file(const char* path) {
  std::vector<uint8_t> v;
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::fprintf(stderr, "cannot open %s\n", path);
    std::exit(2);
  }
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
  std::fclose(f);
  return v;
}

struct SegTiming {
  uint64_t latency = 2, row = 1, num = 1, den = 1;
  // --burst-seg: the SoC's PSRAM (soc_psram_sim.v) instead: every request waits its read or write
  // latency, bytes come every byte_cycles, and the latency is paid again at every multiple of burst
  uint64_t burst = 0, rlat = 0, wlat = 0, byte_cycles = 1;
};

// One DMA port: burst requests, then a byte stream in either direction.
struct Port {
  bool active = false;
  bool we = false;
  uint32_t addr = 0, len = 0, done = 0;
  uint64_t wait = 0, credit = 0;
  SegTiming t;
  bool can_move() const { return active && wait == 0 && (t.burst || credit >= t.den) && done < len; }
};

std::vector<uint8_t>* g_seg[3];

uint8_t* mem_byte(uint32_t a) {
  uint32_t s = (a >> 28) - 1;
  if (s > 2) return nullptr;
  uint32_t off = a & 0x0fffffffu;
  if (off >= g_seg[s]->size()) return nullptr;
  return &(*g_seg[s])[off];
}

// Port k's byte of a write (data byte k of wdata, nibble enables k of wmask) into segment memory at a.
bool write_byte(uint32_t a, uint32_t wdata, uint32_t wmask, int k) {
  uint8_t* m = mem_byte(a);
  if (!m) return false;
  uint8_t d = (wdata >> (8 * k)) & 0xff;
  uint32_t mk = (wmask >> (2 * k)) & 3;
  uint8_t keep = (mk & 1 ? 0x00 : 0x0f) | (mk & 2 ? 0x00 : 0xf0);
  *m = (*m & keep) | (d & ~keep);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char *prog_p = nullptr, *wgt_p = nullptr, *tbl_p = nullptr, *act_p = nullptr, *out_p = nullptr;
  const char* trace_p = nullptr;
  uint64_t max_cycles = 2000000000ull, fetch_cycles = 32;
  bool shared = false;
  SegTiming seg_t[3];
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--prog") prog_p = next();
    else if (a == "--wgt") wgt_p = next();
    else if (a == "--tbl") tbl_p = next();
    else if (a == "--act") act_p = next();
    else if (a == "--act-out") out_p = next();
    else if (a == "--dma-trace") trace_p = next();
    else if (a == "--max-cycles") max_cycles = std::strtoull(next(), nullptr, 10);
    else if (a == "--fetch-cycles") fetch_cycles = std::strtoull(next(), nullptr, 10);
    else if (a == "--shared-memory") shared = true;
    else if (a == "--seg" || a == "--burst-seg") {
      // <segment>:<four numbers>
      unsigned s;
      unsigned long long v[4];
      if (std::sscanf(next(), "%u:%llu:%llu:%llu:%llu", &s, &v[0], &v[1], &v[2], &v[3]) != 5 || s > 2 || v[2] == 0 ||
          v[3] == 0) {
        std::fprintf(stderr, "bad %s\n", a.c_str());
        return 2;
      }
      SegTiming& t = seg_t[s];
      if (a == "--seg") {
        t.latency = v[0];
        t.row = v[1];
        t.num = v[2];
        t.den = v[3];
      } else {
        t.rlat = v[0];
        t.wlat = v[1];
        t.byte_cycles = v[2];
        t.burst = v[3];
      }
    }
  }
  if (!prog_p || !act_p) {
    std::fprintf(stderr, "usage: %s --prog p.bin --act act.bin [--wgt w.bin] [--tbl t.bin] [--act-out o.bin]\n", argv[0]);
    return 2;
  }
  std::vector<uint8_t> prog = read_file(prog_p);
  std::vector<uint8_t> act = read_file(act_p);
  std::vector<uint8_t> wgt = wgt_p ? read_file(wgt_p) : std::vector<uint8_t>();
  std::vector<uint8_t> tbl = tbl_p ? read_file(tbl_p) : std::vector<uint8_t>();
  g_seg[0] = &act;
  g_seg[1] = &wgt;
  g_seg[2] = &tbl;

  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  auto top = std::make_unique<Vquart_accel>(ctx.get());

  uint64_t cycle = 0;
  auto tick = [&]() {
    top->i_clk = 1;
    top->eval();
    top->i_clk = 0;
    top->eval();
    cycle++;
  };
  auto reg_write = [&](uint8_t addr, uint32_t v) {
    top->i_reg_we = 1;
    top->i_reg_addr = addr;
    top->i_reg_wdata = v;
    tick();
    top->i_reg_we = 0;
  };
  auto reg_read = [&](uint8_t addr) -> uint32_t {
    top->i_reg_addr = addr;
    top->eval();
    return top->o_reg_rdata;
  };

  top->i_clk = 0;
  top->i_rst = 1;
  top->i_reg_we = 0;
  top->i_preq_ready = 0;
  top->i_prsp_valid = 0;
  top->i_mreq_ready = 0;
  top->i_mrvalid = 0;
  top->i_mwready = 0;
  top->eval();
  for (int i = 0; i < 4; i++) tick();
  top->i_rst = 0;
  tick();
  reg_write(0x08, kProgBase);
  reg_write(0x0c, kSegBase[0]);
  reg_write(0x10, kSegBase[1]);
  reg_write(0x14, kSegBase[2]);
  reg_write(0x00, 1);

  Port port[3];
  bool p_active = false;
  uint32_t p_addr = 0;
  uint64_t p_wait = 0;
  uint64_t start_cycle = cycle;
  bool bad_access = false;
  // DMA instruction records: the open one per port, flushed when the port's next instruction starts
  std::vector<uint32_t> trace;
  bool t_open[3] = {false, false, false};
  uint64_t t_start[3] = {0, 0, 0}, t_end[3] = {0, 0, 0};
  auto t_flush = [&](int k) {
    if (!t_open[k]) return;
    trace.push_back(uint32_t(k));
    trace.push_back(0);
    trace.push_back(uint32_t(t_start[k]));
    trace.push_back(uint32_t(t_end[k]));
    t_open[k] = false;
  };
  // a DMA instruction's first request was granted at the last edge
  auto t_begin = [&](int k) {
    t_flush(k);
    t_open[k] = true;
    t_start[k] = cycle - 1 - start_cycle;
    t_end[k] = t_start[k];
  };
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();

  // --shared-memory: the device's transfer (owner 1 program port, 2..4 DMA ports; -1 idle) and the
  // round-robin pointer, numbered as in soc_xmem.v (0 is its CPU, absent here)
  int x_owner = -1, x_last = 4;
  uint64_t x_timer = 0;
  uint32_t x_left = 0, x_addr = 0;
  bool x_we = false, p_resp = false;
  uint8_t p_bytes[16];
  const SegTiming& xt = seg_t[0];
  while (shared && cycle - start_cycle < max_cycles) {
    if (top->o_irq) break;
    int grant = -1;
    if (x_owner < 0) {
      unsigned req = (unsigned(top->o_mreq_valid) << 2) | (top->o_preq_valid ? 2u : 0u);
      for (int k = 1; k <= 5 && grant < 0; k++) {
        int c = (x_last + k) % 5;
        if ((req >> c) & 1) grant = c;
      }
    }
    top->i_preq_ready = grant == 1;
    top->i_prsp_valid = p_resp;
    if (p_resp)
      for (int w = 0; w < 4; w++)
        top->i_prsp_data[w] = uint32_t(p_bytes[4 * w]) | uint32_t(p_bytes[4 * w + 1]) << 8 |
                              uint32_t(p_bytes[4 * w + 2]) << 16 | uint32_t(p_bytes[4 * w + 3]) << 24;
    bool slot = x_owner >= 0 && x_timer == 0;
    int k_own = x_owner >= 2 ? x_owner - 2 : -1;
    uint8_t rbyte = 0;
    if (slot) {
      uint8_t* m = x_owner == 1 ? nullptr : mem_byte(x_addr);
      if (x_owner == 1) {
        uint32_t a = x_addr - kProgBase;
        rbyte = a < prog.size() ? prog[a] : 0;
      } else if (!m) {
        bad_access = true;
      } else {
        rbyte = *m;
      }
    }
    top->i_mreq_ready = grant >= 2 ? uint8_t(1u << (grant - 2)) : 0;
    top->i_mrvalid = slot && k_own >= 0 && !x_we ? uint8_t(1u << k_own) : 0;
    top->i_mrdata = uint32_t(rbyte) * 0x010101u;
    top->i_mwready = slot && k_own >= 0 && x_we ? uint8_t(1u << k_own) : 0;
    uint8_t wv = top->o_mwvalid;
    uint32_t wdata = top->o_mwdata, wmask = top->o_mwmask;
    uint32_t first = top->o_mreq_first, we = top->o_mreq_we;
    uint64_t lens = top->o_mreq_len;
    uint32_t addrs[3] = {top->o_mreq_addr[0], top->o_mreq_addr[1], top->o_mreq_addr[2]};
    uint32_t p_req_addr = top->o_preq_addr;
    tick();
    p_resp = false;
    if (x_owner >= 0) {
      if (x_timer > 0) x_timer--;
      else {
        bool moved = !x_we || ((wv >> k_own) & 1);
        if (moved) {
          if (x_owner == 1) p_bytes[16 - x_left] = rbyte;
          if (x_we) {
            if (!write_byte(x_addr, wdata, wmask, k_own)) bad_access = true;
          }
          x_addr++;
          if (--x_left == 0) {
            if (x_owner == 1) p_resp = true;
            else t_end[k_own] = cycle - start_cycle;
            x_owner = -1;
          } else {
            x_timer = (x_addr % xt.burst) == 0 ? (x_we ? xt.wlat : xt.rlat) : xt.byte_cycles - 1;
          }
        }
      }
    }
    if (grant >= 0) {
      x_last = grant;
      int k = grant - 2;
      uint32_t len = grant == 1 ? 16u : uint32_t((lens >> (16 * k)) & 0xffff);
      x_we = grant >= 2 && ((we >> k) & 1);
      x_addr = grant == 1 ? p_req_addr : addrs[k];
      x_left = len;
      x_timer = x_we ? xt.wlat : xt.rlat;
      if (len > 0) x_owner = grant;
      if (k >= 0 && trace_p && ((first >> k) & 1)) {
        t_begin(k);
      }
    }
  }
  while (!shared && cycle - start_cycle < max_cycles) {
    if (top->o_irq) break;  // DONE or an error
    // ---- drive inputs from the model state (clock low)
    top->i_preq_ready = !p_active;
    bool p_deliver = p_active && p_wait == 0;
    top->i_prsp_valid = p_deliver;
    if (p_deliver) {
      for (int w = 0; w < 4; w++) {
        uint32_t v = 0;
        for (int b = 0; b < 4; b++) {
          uint32_t a = p_addr - kProgBase + 4 * w + b;
          v |= (a < prog.size() ? uint32_t(prog[a]) : 0u) << (8 * b);
        }
        top->i_prsp_data[w] = v;
      }
    }
    uint8_t req_ready = 0, rvalid = 0, wready = 0;
    uint32_t rdata = 0;
    for (int k = 0; k < 3; k++) {
      Port& p = port[k];
      if (!p.active) req_ready |= 1u << k;
      if (p.can_move()) {
        if (p.we) wready |= 1u << k;
        else {
          rvalid |= 1u << k;
          uint8_t* m = mem_byte(p.addr + p.done);
          if (!m) bad_access = true;
          rdata |= uint32_t(m ? *m : 0) << (8 * k);
        }
      }
    }
    top->i_mreq_ready = req_ready;
    top->i_mrvalid = rvalid;
    top->i_mrdata = rdata;
    top->i_mwready = wready;
    // ---- handshakes seen at this edge (the core's port outputs are registered or depend on its
    // state only, so they are the ones evaluated after the last edge)
    bool p_req = top->o_preq_valid && !p_active;
    uint32_t p_req_addr = top->o_preq_addr;
    uint8_t reqv = top->o_mreq_valid, wv = top->o_mwvalid;
    uint32_t wdata = top->o_mwdata;
    uint32_t wmask = top->o_mwmask;
    uint32_t seg = top->o_mreq_seg, we = top->o_mreq_we, first = top->o_mreq_first;
    uint64_t lens = top->o_mreq_len;
    uint32_t addrs[3] = {top->o_mreq_addr[0], top->o_mreq_addr[1], top->o_mreq_addr[2]};
    tick();
    // ---- model state update
    for (int k = 0; k < 3; k++) {
      Port& p = port[k];
      if (p.active) {
        if (p.wait > 0) p.wait--;
        else {
          bool moved = (rvalid >> k) & 1;
          if (((wready >> k) & 1) && ((wv >> k) & 1)) {
            moved = true;
            if (!write_byte(p.addr + p.done, wdata, wmask, k)) bad_access = true;
          }
          if (moved && p.t.burst) {
            p.done++;
            bool split = ((p.addr + p.done) % p.t.burst) == 0;
            p.wait = split ? (p.we ? p.t.wlat : p.t.rlat) : p.t.byte_cycles - 1;
          } else if (moved) {
            p.done++;
            p.credit -= p.t.den;
          }
          p.credit += p.t.num;
          if (p.credit > p.t.den) p.credit = p.t.den;
          if (p.done == p.len) {
            p.active = false;
            t_end[k] = cycle - start_cycle;
          }
        }
      }
      if (((reqv >> k) & 1) && ((req_ready >> k) & 1)) {
        unsigned s = (seg >> (2 * k)) & 3;
        p.active = true;
        p.we = (we >> k) & 1;
        p.addr = addrs[k];
        p.len = uint32_t((lens >> (16 * k)) & 0xffff);
        p.done = 0;
        p.t = seg_t[s > 2 ? 0 : s];
        p.credit = p.t.den;
        if (p.t.burst) {
          p.wait = p.we ? p.t.wlat : p.t.rlat;
        } else {
          p.wait = p.t.row + (((first >> k) & 1) ? p.t.latency : 0);
          if (p.wait > 0) p.wait--;  // the request cycle counts
        }
        if (p.len == 0) p.active = false;
        if (trace_p && ((first >> k) & 1)) {
          t_begin(k);
        }
      }
    }
    if (p_active) {
      if (p_wait > 0) p_wait--;
      else if (p_deliver) p_active = false;
    }
    if (p_req) {
      p_active = true;
      p_addr = p_req_addr;
      p_wait = fetch_cycles > 2 ? fetch_cycles - 2 : 0;  // with the request cycle: one word per fetch_cycles
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(t1 - t0).count();
  double cpu_secs = double(std::clock() - c0) / CLOCKS_PER_SEC;
  uint64_t ran = cycle - start_cycle;

  static const struct {
    const char* name;
    uint8_t addr;
  } regs[] = {{"status", 0x04},        {"cycles", 0x20},       {"load_busy", 0x24},    {"load_stall", 0x28},
              {"compute_busy", 0x2c},  {"compute_stall", 0x30}, {"store_busy", 0x34},  {"store_stall", 0x38},
              {"macs_lo", 0x3c},       {"macs_hi", 0x40},      {"load_bytes", 0x44},   {"loadt_bytes", 0x48},
              {"store_bytes", 0x4c},   {"dispatched", 0x50},   {"prog_words", 0x54},   {"vec_outputs", 0x58},
              {"tap_cycles", 0x5c},    {"tokens", 0x60}};
  std::printf("QUART_ACCEL");
  for (const auto& r : regs) std::printf(" %s=%" PRIu32, r.name, reg_read(r.addr));
  std::printf(" sim_cycles=%" PRIu64 " bad_access=%d\n", ran, bad_access ? 1 : 0);
  std::printf("QUART_ACCEL_SPEED cycles_per_s=%.0f cpu_cycles_per_s=%.0f\n", secs > 0 ? double(ran) / secs : 0.0,
              cpu_secs > 0 ? double(ran) / cpu_secs : 0.0);
  if (trace_p) {
    for (int k = 0; k < 3; k++) t_flush(k);
    FILE* f = std::fopen(trace_p, "wb");
    if (!f || std::fwrite(trace.data(), sizeof(uint32_t), trace.size(), f) != trace.size()) {
      std::fprintf(stderr, "cannot write %s\n", trace_p);
      return 2;
    }
    std::fclose(f);
  }
  if (out_p) {
    FILE* f = std::fopen(out_p, "wb");
    if (!f) return 2;
    std::fwrite(act.data(), 1, act.size(), f);
    std::fclose(f);
  }
  top->final();
  return 0;
}
