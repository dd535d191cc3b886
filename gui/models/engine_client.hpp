// The client side of the serve protocol: commands with request ids, replies matched to their
// requests, and every failure surfaced as a readable message (never dropped). Owns the engine
// and the one EventStream; models connect to stream() for events.
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
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

  EventStream* stream() { return &stream_; }
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

  struct Pending {
    QString cmd;
    ReplyHandler handler;
  };
  Engine* engine_;
  EventStream stream_;
  QHash<int, Pending> pending_;
  int nextId_ = 1;
  bool ready_ = false;
  bool gone_ = false;
  QJsonObject hello_;
};

}  // namespace boxlab::gui
