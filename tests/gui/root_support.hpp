// What the root GUI tests share: the boxlab CLI over a test's own --root, and a Session on
// `boxlab serve` run as root over it.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <memory>

#include "engine.hpp"
#include "session.hpp"

namespace boxlab::gui::test {

// `boxlab --root ROOT ARGS...`, waited for (2 min at most): stdout and stderr as written, the
// exit code in *code.
inline QString runBoxlab(const QString& root, const QStringList& args, int* code = nullptr) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QStringLiteral(BOXLAB_BIN), QStringList{QStringLiteral("--root"), root} + args);
  p.waitForFinished(120000);
  if (code) *code = p.exitCode();
  return QString::fromUtf8(p.readAll());
}

// Not started yet: the caller connects its signals first.
inline std::unique_ptr<Session> makeRootSession(const QString& root) {
  LaunchEnvironment env;
  env.boxlab = QStringLiteral(BOXLAB_BIN);
  env.root = root;
  env.isRoot = true;
  return std::make_unique<Session>(new ServeProcess(planServeLaunch(env)));
}

}  // namespace boxlab::gui::test
