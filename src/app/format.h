#pragma once
// Small text helpers shared by the panels.

#include <cstdio>
#include <string>

namespace woodshed::app {

/// "m:ss.t" (or "h:mm:ss" past an hour).
inline std::string formatTime(double seconds) {
  if (!(seconds >= 0.0)) seconds = 0.0;
  const auto whole = static_cast<long>(seconds);
  char text[32];
  if (whole >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", whole / 3600, (whole / 60) % 60, whole % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld.%ld", whole / 60, whole % 60,
                  static_cast<long>((seconds - static_cast<double>(whole)) * 10.0));
  }
  return text;
}

/// "12.3 MB".
inline std::string formatMegabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

}  // namespace woodshed::app
