#include "woodshed/dsp/process_spec.h"

#include <cmath>
#include <limits>

namespace woodshed::dsp {

double dbToGain(double db) noexcept { return std::pow(10.0, db / 20.0); }

double gainToDb(double gain) noexcept {
  return gain > 0.0 ? 20.0 * std::log10(gain) : -std::numeric_limits<double>::infinity();
}

}  // namespace woodshed::dsp
