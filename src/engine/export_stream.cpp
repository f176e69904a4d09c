#include "woodshed/engine/export_stream.h"

#include <algorithm>
#include <cstring>

#include "woodshed/core/error.h"
#include "woodshed/core/wait.h"

namespace woodshed::engine {

ExportStream::ExportStream(ExportFormat format, ChannelCount channels, SampleRate sampleRate, std::uint64_t frames,
                           FrameCount maxChunkFrames, core::JobContext* context, std::uint32_t capacityBytes)
    : encoder_(format, channels), frames_(frames), maxChunkFrames_(maxChunkFrames), context_(context),
      indices_(capacityBytes) {
  if (!core::isValidRingCapacity(capacityBytes)) {
    throw core::InvalidArgument("an export's ring holds a power of two bytes, got " + std::to_string(capacityBytes));
  }
  const std::size_t chunkBytes = std::size_t{maxChunkFrames} * encoder_.frameBytes();
  if (maxChunkFrames < 1 || chunkBytes > capacityBytes) {
    throw core::InvalidArgument("an export's chunks of " + std::to_string(maxChunkFrames) + " frames do not fit its ring of " +
                                std::to_string(capacityBytes) + " bytes");
  }
  const auto header = wavHeader(format, channels, sampleRate, frames);
  ring_ = std::make_unique<std::uint8_t[]>(capacityBytes);
  scratch_ = std::make_unique<std::uint8_t[]>(chunkBytes);
  push(header.data(), header.size());
}

void ExportStream::write(const dsp::AudioBlock& block) {
  if (block.numFrames > maxChunkFrames_) {
    throw core::InvalidArgument("an export was given " + std::to_string(block.numFrames) + " frames at once, more than " +
                                std::to_string(maxChunkFrames_));
  }
  if (framesWritten_ + block.numFrames > frames_) {
    throw core::Error("the render gave more frames than the export announced (" + std::to_string(frames_) + ")");
  }
  const std::size_t bytes = encoder_.encode(block, scratch_.get());
  push(scratch_.get(), bytes);
  framesWritten_ += block.numFrames;
}

void ExportStream::finish() {
  if (framesWritten_ != frames_) {
    throw core::Error("the render gave " + std::to_string(framesWritten_) + " frames, not the " +
                      std::to_string(frames_) + " its file announces");
  }
  state_.store(static_cast<std::uint32_t>(State::Finished), std::memory_order_release);
}

void ExportStream::fail() noexcept {
  state_.store(static_cast<std::uint32_t>(State::Failed), std::memory_order_release);
}

void ExportStream::push(const std::uint8_t* bytes, std::size_t count) {
  while (count > 0) {
    // Read the sequence before the room, so a consume() in between is not slept through.
    const std::uint32_t seen = consumedSequence_.load(std::memory_order_acquire);
    const FrameCount room = indices_.writableFrames();
    if (room == 0) {
      if (context_ != nullptr) context_->throwIfCancellationRequested();
      core::waitWhileEqual(consumedSequence_, seen, kProducerWait);
      continue;
    }
    const auto n = static_cast<FrameCount>(std::min<std::size_t>(count, room));
    const FrameCount start = indices_.writePosition() & indices_.mask();
    const FrameCount first = std::min(n, indices_.capacity() - start);
    std::memcpy(ring_.get() + start, bytes, first);
    std::memcpy(ring_.get(), bytes + first, n - first);
    indices_.commitWrite(n);
    bytes += n;
    count -= n;
  }
}

std::uint32_t ExportStream::readableBytes() const noexcept {
  const FrameCount available = indices_.readableFrames();
  const FrameCount start = indices_.readPosition() & indices_.mask();
  return std::min(available, indices_.capacity() - start);
}

const std::uint8_t* ExportStream::readPointer() const noexcept {
  return ring_.get() + (indices_.readPosition() & indices_.mask());
}

void ExportStream::consume(std::uint32_t bytes) noexcept {
  bytes = std::min(bytes, indices_.readableFrames());
  indices_.commitRead(bytes);
  consumed_.store(consumed_.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  wakeProducer();
}

void ExportStream::wakeProducer() noexcept {
  consumedSequence_.fetch_add(1, std::memory_order_release);
  core::wakeAllWaiters(consumedSequence_);
}

}  // namespace woodshed::engine
