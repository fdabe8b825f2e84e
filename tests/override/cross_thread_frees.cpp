// A C++ program with cross-thread frees, run under LD_PRELOAD: producers build strings and
// vectors with new, consumers in other threads check and delete them. Prints one line with
// the object count and a checksum that only depends on the data, so a run on glibc malloc
// prints the same line.
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kPairs = 3;
constexpr int kObjectsPerProducer = 60000;

struct Item {
  int producer;
  int seq;
  std::string text;
  std::vector<uint32_t> words;
};

std::string text_for(int producer, int seq) {
  return std::string(static_cast<size_t>(seq % 300),
                     static_cast<char>('a' + (producer + seq) % 26));
}

struct Channel {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Item>> items;
  bool done = false;
};

void produce(Channel& ch, int producer) {
  for (int seq = 0; seq < kObjectsPerProducer; ++seq) {
    auto item = std::make_unique<Item>();
    item->producer = producer;
    item->seq = seq;
    item->text = text_for(producer, seq);
    item->words.assign(static_cast<size_t>(seq % 97) + (seq % 1000 == 0 ? 20000 : 0),
                       static_cast<uint32_t>(seq * 2654435761u));
    std::lock_guard<std::mutex> lock(ch.mu);
    ch.items.push_back(std::move(item));
    ch.cv.notify_one();
  }
  std::lock_guard<std::mutex> lock(ch.mu);
  ch.done = true;
  ch.cv.notify_one();
}

// Checks every object and deletes it here, in a thread that did not allocate it.
void consume(Channel& ch, uint64_t* checksum, long* count, long* bad) {
  for (;;) {
    std::unique_ptr<Item> item;
    {
      std::unique_lock<std::mutex> lock(ch.mu);
      ch.cv.wait(lock, [&] { return !ch.items.empty() || ch.done; });
      if (ch.items.empty()) return;
      item = std::move(ch.items.front());
      ch.items.pop_front();
    }
    bool ok = item->text == text_for(item->producer, item->seq);
    for (uint32_t w : item->words) ok = ok && w == static_cast<uint32_t>(item->seq * 2654435761u);
    if (!ok) ++*bad;
    *checksum = *checksum * 1099511628211u + item->text.size() * 131 + item->words.size();
    ++*count;
  }
}

}  // namespace

int main() {
  std::vector<Channel> channels(kPairs);
  std::vector<uint64_t> sums(kPairs, 0);
  std::vector<long> counts(kPairs, 0), bad(kPairs, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPairs; ++i) {
    threads.emplace_back(consume, std::ref(channels[i]), &sums[i], &counts[i], &bad[i]);
    threads.emplace_back(produce, std::ref(channels[i]), i);
  }
  for (auto& t : threads) t.join();
  long total = 0, total_bad = 0;
  uint64_t checksum = 0;
  for (int i = 0; i < kPairs; ++i) {
    total += counts[i];
    total_bad += bad[i];
    checksum ^= sums[i] + static_cast<uint64_t>(i);
  }
  std::printf("objects %ld corrupt %ld checksum %016llx\n", total, total_bad,
              static_cast<unsigned long long>(checksum));
  return total == long{kPairs} * kObjectsPerProducer && total_bad == 0 ? 0 : 1;
}
