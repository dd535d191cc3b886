// One background thread for work that blocks (the lab engine runs commands and waits for
// them), so the loop keeps serving terminals and monitors meanwhile. A job runs on the worker
// and returns what the loop then runs on its own thread: only the loop writes output.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::serve {

class Loop;

class Worker {
 public:
  using Done = std::function<void()>;
  using Job = std::function<Done()>;

  explicit Worker(Loop& loop);
  // Finishes the job that runs, drops the queued ones and their completions, joins.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Jobs run in the order posted, one at a time. A job must not throw.
  void post(Job job);
  // From a running job: `work` runs on the loop's thread soon (before the job's own Done), in
  // the order sent. For what a job reports while it runs (progress events).
  void notify(Done work);

 private:
  void run();
  void on_wake();
  void wake();

  Loop& loop_;
  Fd wake_;  // eventfd: completions are waiting
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<Done> done_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace boxlab::serve
