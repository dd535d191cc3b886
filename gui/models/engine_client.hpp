// The client side of the serve protocol: commands with request ids, replies matched to their
// requests, and every failure surfaced as a readable message (never dropped). Owns the engine
// and the one EventStream; models connect to stream() for events. The stream parses on a
// thread of its own (a 1,000-process proc.tree is ~12 ms of JSON at 10 Hz): its signals reach
// models and this client queued, in order, as value snapshots; input never waits on a parse.
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QThread>
#include <functional>
#include <memory>

#include "engine.hpp"
#include "event_stream.hpp"

namespace boxlab::gui {

class EngineClient : public QObject {
  Q_OBJECT
 public:
  using ReplyHandler = std::function<void(const ReplyEvent&)>;

  // Takes ownership of the engine (it becomes this object's child).
  explicit EngineClient(Engine* engine, QObject* parent = nullptr);
  ~EngineClient() override;

  // Starts the engine and greets it (`hello`); ready() or unavailable() follows.
  void start();
  void stop(int ms = 5000);

  // Sends {"id":N,"cmd":cmd,...args}; returns N. `handler` gets the reply; without one, an
  // error reply becomes error(). Requests still open when the engine goes get a synthetic
  // failed reply (code "engine_gone").
  int request(const QString& cmd, const QJsonObject& args = {}, ReplyHandler handler = {});

  // Lives on the parser thread: connect to it with a receiver (queued), never call it directly.
  EventStream* stream() { return stream_.get(); }
  Engine* engine() { return engine_; }
  bool isReady() const { return ready_; }
  // hello's reply (protocol, version, backend, commands, capabilities); empty before ready().
  const QJsonObject& hello() const { return hello_; }
  bool supports(const QString& cmd) const;
  int pendingCount() const { return int(pending_.size()); }

  // Readable text for an error reply: "lab.ls: not available in this engine yet (...)".
  static QString describe(const QString& cmd, const ReplyEvent& reply);

 signals:
  void ready(const QJsonObject& hello);
  // The engine could not be started or stopped answering: the whole app degrades to read-only.
  void unavailable(const QString& message);
  // A failed command or an engine problem, one readable line.
  void error(const QString& message);
  // A malformed line from the engine (the stream goes on).
  void warning(const QString& message);

 private:
  void onReply(const ReplyEvent& reply);
  void failAllPending(const QString& why);
  // Parses what the engine left mid-line, then runs `after` here once its events are delivered.
  void finishStream(std::function<void()> after);

  struct Pending {
    QString cmd;
    ReplyHandler handler;
  };
  Engine* engine_;
  QThread parser_;
  std::unique_ptr<EventStream> stream_;
  QHash<int, Pending> pending_;
  int nextId_ = 1;
  bool ready_ = false;
  bool gone_ = false;
  QJsonObject hello_;
};

}  // namespace boxlab::gui
