// The console: one tab per terminal session. The host shell (the learner's main terminal, on
// this computer, outside every container) comes first and is labelled as such; container
// consoles follow. Each tab is a TerminalWidget bound to one serve session; the widget knows
// nothing about serve: input() and resized() name the session, feed() and closed() take it.
#pragma once

#include <QString>
#include <QWidget>

class QLabel;
class QStackedLayout;
class QTabWidget;

namespace boxlab::gui {

class TerminalWidget;

class ConsoleTabs : public QWidget {
  Q_OBJECT
 public:
  enum class Kind { Host, Container };
  explicit ConsoleTabs(QWidget* parent = nullptr);

  // A tab for a new session, made current. A container console names its container.
  TerminalWidget* addSession(const QString& session, Kind kind, const QString& container = {});
  // The host shell runs as root: its tab and tooltip say so plainly.
  void markRootShell(TerminalWidget* term);
  // On the simulator: which commands in the shell are the simulator's (host shell: boxlab,
  // pgrep, dmesg; a container's: every line runs in the simulated container).
  void markSimulated(TerminalWidget* term, const QStringList& commands);
  // The host shell's tab, current; nullptr without one.
  TerminalWidget* showHost();
  TerminalWidget* terminalOf(const QString& session) const;
  TerminalWidget* hostTerminal() const;
  QString hostSession() const;  // "" when none runs
  TerminalWidget* currentTerminal() const;
  QString currentSession() const;  // "" for a tab whose session ended
  QTabWidget* tabs() const { return tabs_; }
  // What shows while there is no tab at all.
  void setPlaceholder(const QString& text);

 public slots:
  void feed(const QString& session, const QByteArray& bytes);
  // The session ended: its tab stays (its last screen), marked ended.
  void closed(const QString& session, int exitCode);

 signals:
  void input(const QString& session, const QByteArray& bytes);
  void resized(const QString& session, int rows, int cols);

 private:
  int indexOf(const QString& session) const;
  int hostIndex() const;

  QStackedLayout* stack_;
  QLabel* placeholder_;
  QTabWidget* tabs_;
};

}  // namespace boxlab::gui
