#!/usr/bin/env python3
"""commit_latency: what a client waits for a verdict datagram, end to end.

Sends declaration datagrams from a pcap (sluice-pcap encode --per-datagram
1 --flows N: one record each, source ports round robin) into one end
of a veth pair at a fixed rate, through an AF_PACKET socket, while the
engine (`sluice run ... --vdev=net_af_packet0,iface=OTHER_END`) answers on
the other end; each reply is matched to its request by the UDP port it is
sent to (per port, replies come back in the order the requests went, one
worker).  Prints the latency distribution (p50, p90, p99, max) and how many
requests got no reply.  The engine's commit protocol (docs/reliability.md)
holds a verdict until its group is committed: run this once against an
engine without --verdict-log/--state and once with them, in the same
session, and compare.

  commit_latency.py IFACE IN.pcap RATE_PER_S [WAIT_S]

Needs root.  Plain Python: a measurement tool, not part of the build.
"""
import collections
import socket
import struct
import sys
import threading
import time


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            _, _, incl, _ = struct.unpack(endian + "IIII", rh)
            yield f.read(incl)


def udp_ports(frame):
    """(sport, dport) of an IPv4/UDP frame without options, or None."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 15) * 4
    o = 14 + ihl
    return struct.unpack("!HH", frame[o:o + 4])


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    iface, path, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    reqs = [f for f in frames(path) if udp_ports(f)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(0.2)
    sent = collections.defaultdict(collections.deque)
    lat = []
    stop = threading.Event()

    def recv():
        while not stop.is_set():
            try:
                fr = s.recv(65536)
            except socket.timeout:
                continue
            t = time.perf_counter()
            p = udp_ports(fr)
            if p and p[0] == 9610 and sent[p[1]]:
                lat.append((t - sent[p[1]].popleft()) * 1e3)

    th = threading.Thread(target=recv)
    th.start()
    t0 = time.perf_counter()
    # Paced in bursts of up to 1 ms of traffic, sleeping in between: a
    # busy-waiting sender would take the CPU the engine's control threads
    # (the log thread among them) need on a small machine.
    for i, fr in enumerate(reqs):
        due = t0 + i / rate
        now = time.perf_counter()
        if due > now + 0.001:
            time.sleep(due - now)
        sent[udp_ports(fr)[0]].append(time.perf_counter())
        s.send(fr)
    time.sleep(wait)
    stop.set()
    th.join()
    lat.sort()
    if not lat:
        print("no replies")
        return 1

    def q(x):
        return lat[min(len(lat) - 1, int(x * len(lat)))]

    print("sent %d at %.0f/s, answered %d, unanswered %d; latency ms: "
          "p50 %.3f p90 %.3f p99 %.3f max %.3f" %
          (len(reqs), rate, len(lat), len(reqs) - len(lat), q(0.5), q(0.9),
           q(0.99), lat[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
