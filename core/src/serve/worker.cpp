#include "worker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "boxlab/error.hpp"
#include "loop.hpp"

namespace boxlab::serve {

Worker::Worker(Loop& loop) : loop_(loop), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw Error::system("eventfd");
  loop_.watch(wake_.get(), POLLIN, [this](short) { on_wake(); });
  // Started last: every member it uses exists by now.
  thread_ = std::thread([this] { run(); });
}

Worker::~Worker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  thread_.join();
  loop_.unwatch(wake_.get());
}

void Worker::post(Job job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Worker::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Done done = job();
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      done_.push_back(std::move(done));
    }
    wake();
  }
}

void Worker::notify(Done work) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    done_.push_back(std::move(work));
  }
  wake();
}

void Worker::wake() {
  std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

void Worker::on_wake() {
  std::uint64_t n = 0;
  (void)!::read(wake_.get(), &n, sizeof n);
  std::vector<Done> ready;
  {
    std::lock_guard lock(mu_);
    ready.swap(done_);
  }
  for (auto& d : ready)
    if (d) d();
}

}  // namespace boxlab::serve
