#include "engine_client.hpp"

#include <QJsonArray>
#include <QJsonDocument>

#include "commands.hpp"

namespace boxlab::gui {

EngineClient::EngineClient(Engine* engine, QObject* parent)
    : QObject(parent), engine_(engine), stream_(std::make_unique<EventStream>()) {
  engine_->setParent(this);
  parser_.setObjectName(QStringLiteral("boxlab event parser"));
  stream_->moveToThread(&parser_);
  parser_.start();
  connect(engine_, &Engine::output, stream_.get(), &EventStream::feed);  // queued to the parser
  connect(engine_, &Engine::failed, this, [this](const QString& message) {
    bool wasReady = ready_;
    ready_ = false;
    gone_ = true;
    finishStream([this, message, wasReady] {
      failAllPending(message);
      emit unavailable(wasReady ? tr("The engine stopped: %1").arg(message)
                                : tr("The engine is unavailable: %1").arg(message));
    });
  });
  connect(engine_, &Engine::finished, this, [this] {
    ready_ = false;
    gone_ = true;
    finishStream([this] { failAllPending(tr("the engine exited")); });
  });
  connect(stream_.get(), &EventStream::reply, this, &EngineClient::onReply);
  connect(stream_.get(), &EventStream::malformed, this, [this](const MalformedLine& m) {
    emit warning(tr("engine line %1 skipped: %2").arg(m.lineNumber).arg(m.reason));
  });
  connect(stream_.get(), &EventStream::log, this, [this](const LogEvent& e) {
    if (e.level == QLatin1String("error")) emit error(e.message);
  });
}

EngineClient::~EngineClient() {
  stop(3000);
  parser_.quit();
  parser_.wait();
}

void EngineClient::finishStream(std::function<void()> after) {
  // Runs on the parser after every output queued before it; `after` is queued back here behind
  // the events that finishing delivers.
  QMetaObject::invokeMethod(
      stream_.get(),
      [this, after = std::move(after)] {
        stream_->finish();
        QMetaObject::invokeMethod(this, after, Qt::QueuedConnection);
      },
      Qt::QueuedConnection);
}

void EngineClient::start() {
  gone_ = false;
  engine_->start();
  request(
      cmdName(cmd::kHello),
      {{QStringLiteral("client"), QStringLiteral("boxlab-gui")}, {QStringLiteral("protocol"), 1}},
      [this](const ReplyEvent& r) {
        if (r.code == QLatin1String("engine_gone")) return;  // unavailable() said it
        if (!r.ok) {
          emit unavailable(describe(cmdName(cmd::kHello), r));
          return;
        }
        hello_ = r.body;
        ready_ = true;
        emit ready(hello_);
      });
}

void EngineClient::stop(int ms) {
  if (engine_->isRunning()) engine_->stop(ms);
}

int EngineClient::request(const QString& cmd, const QJsonObject& args, ReplyHandler handler) {
  int id = nextId_++;
  QJsonObject line = args;
  line.insert(QStringLiteral("id"), id);
  line.insert(QStringLiteral("cmd"), cmd);
  pending_.insert(id, {cmd, std::move(handler)});
  if (gone_) {
    // Answered at once (queued, so callers see the same order as with a live engine).
    QMetaObject::invokeMethod(
        this,
        [this, id] {
          if (!pending_.contains(id)) return;
          Pending p = pending_.take(id);
          ReplyEvent r;
          r.id = id;
          r.code = QStringLiteral("engine_gone");
          r.error = tr("the engine is not running");
          if (p.handler) p.handler(r);
        },
        Qt::QueuedConnection);
    return id;
  }
  engine_->writeLine(QJsonDocument(line).toJson(QJsonDocument::Compact));
  return id;
}

bool EngineClient::supports(const QString& cmd) const {
  return hello_.value(QLatin1String("commands")).toArray().contains(cmd);
}

QString EngineClient::describe(const QString& cmd, const ReplyEvent& r) {
  QString what = r.error.isEmpty() ? tr("failed") : r.error;
  if (r.code == QLatin1String("unavailable"))
    return tr("%1 is not available in this engine yet (%2)").arg(cmd, what);
  if (r.code == QLatin1String("unknown_command"))
    return tr("%1 is not known to this engine: %2").arg(cmd, what);
  return tr("%1: %2").arg(cmd, what);
}

void EngineClient::onReply(const ReplyEvent& reply) {
  if (!reply.id.isDouble()) {
    // serve could not read the id of something we sent: a client bug worth showing.
    emit error(tr("the engine refused a command: %1").arg(reply.error));
    return;
  }
  int id = reply.id.toInt();
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    emit warning(tr("a reply to unknown request %1").arg(id));
    return;
  }
  Pending p = it.value();
  pending_.erase(it);
  if (p.handler)
    p.handler(reply);
  else if (!reply.ok)
    emit error(describe(p.cmd, reply));
}

void EngineClient::failAllPending(const QString& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    ReplyEvent r;
    r.id = it.key();
    r.code = QStringLiteral("engine_gone");
    r.error = why;
    if (it->handler) it->handler(r);
  }
}

}  // namespace boxlab::gui
