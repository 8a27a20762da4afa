// The golden vectors of proto/supervisor/vectors.txt, read for the firmware's tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace supfw {

struct Vector {
  std::string name, expect;
  int type = -1, seq = -1;
  std::vector<uint8_t> payload, wire;
};

inline std::vector<uint8_t> Hex(const std::string& s) {
  std::vector<uint8_t> out;
  if (s == "-") return out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::vector<Vector> LoadVectors() {
  std::vector<Vector> out;
  std::ifstream in(LIFELINE_SOURCE_DIR "/proto/supervisor/vectors.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    Vector v;
    std::string type, seq, payload, wire;
    f >> v.name >> v.expect >> type >> seq >> payload >> wire;
    if (type != "-") v.type = std::stoi(type, nullptr, 16);
    if (seq != "-") v.seq = std::stoi(seq, nullptr, 16);
    v.payload = Hex(payload);
    v.wire = Hex(wire);
    out.push_back(v);
  }
  return out;
}

}  // namespace supfw
