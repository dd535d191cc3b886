#include "console_tabs.hpp"

#include <QLabel>
#include <QStackedLayout>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>

#include "terminal_widget.hpp"

namespace boxlab::gui {

namespace {
// Per tab: the session it shows ("" once ended) and whether it is the host shell.
const char* kSession = "boxlabSession";
const char* kHost = "boxlabHost";
}  // namespace

ConsoleTabs::ConsoleTabs(QWidget* parent) : QWidget(parent) {
  stack_ = new QStackedLayout(this);
  stack_->setContentsMargins(0, 0, 0, 0);
  placeholder_ = new QLabel(this);
  placeholder_->setAlignment(Qt::AlignCenter);
  placeholder_->setWordWrap(true);
  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  tabs_->setMovable(false);
  tabs_->setAccessibleName(tr("Consoles"));
  stack_->addWidget(placeholder_);
  stack_->addWidget(tabs_);
  connect(tabs_, &QTabWidget::currentChanged, this, [this](int) {
    if (TerminalWidget* t = currentTerminal()) t->setFocus();
  });
}

void ConsoleTabs::markRootShell(TerminalWidget* term) {
  int at = tabs_->indexOf(term);
  if (at < 0) return;
  tabs_->setTabText(at, tr("Host shell (root on this computer)"));
  tabs_->setTabToolTip(at, tr("A root shell on this computer, outside every container: what you "
                              "type here runs with root's rights. Its PATH holds only "
                              "directories that root alone can change."));
  term->setAccessibleName(tr("Host shell (root)"));
}

void ConsoleTabs::markSimulated(TerminalWidget* term, const QStringList& commands) {
  int at = tabs_->indexOf(term);
  if (at < 0) return;
  bool host = term->property(kHost).toBool();
  if (host) {
    tabs_->setTabText(at, tr("Host shell (simulated %1)").arg(commands.join(QStringLiteral(", "))));
    tabs_->setTabToolTip(
        at, tr("A shell on this computer, outside every container. On the simulator, %1 typed "
               "here are the simulator's: they see the simulated machine, not this computer's "
               "processes and kernel log. Everything else is this computer's.")
                .arg(commands.join(QStringLiteral(", "))));
  } else {
    tabs_->setTabText(at, tabs_->tabText(at) + tr(" (simulated)"));
    tabs_->setTabToolTip(
        at, tr("A simulated shell in a simulated container: no program runs in it. Each line "
               "runs as boxlab --sim exec runs it (the shapes labs use are acted out, anything "
               "else only reads the container's simulated /proc, /dev/shm and cgroup files)."));
  }
}

void ConsoleTabs::setPlaceholder(const QString& text) {
  placeholder_->setText(text);
}

TerminalWidget* ConsoleTabs::addSession(const QString& session, Kind kind,
                                        const QString& container) {
  auto* term = new TerminalWidget(tabs_);
  term->setProperty(kSession, session);
  term->setProperty(kHost, kind == Kind::Host);
  QString title, tip;
  if (kind == Kind::Host) {
    title = tr("Host shell (this computer)");
    tip =
        tr("A shell on this computer, outside every container: type the lab's boxlab "
           "commands here. boxlab is this build, on the engine's --root.");
    term->setAccessibleName(tr("Host shell"));
  } else {
    title = tr("%1 (container)").arg(container);
    tip = tr("A shell inside container %1").arg(container);
    term->setAccessibleName(tr("Console of container %1").arg(container));
  }
  // The host shell stays first: it is the learner's main terminal.
  int at = kind == Kind::Host ? 0 : tabs_->count();
  at = tabs_->insertTab(at, term, title);
  tabs_->setTabToolTip(at, tip);
  if (kind == Kind::Host) {
    // Nothing to close while it runs; distinct at a glance.
    tabs_->tabBar()->setTabTextColor(at, QColor(0x1f, 0x6f, 0xb2));
  }
  connect(term, &TerminalWidget::input, this, [this, term](const QByteArray& bytes) {
    QString s = term->property(kSession).toString();
    if (!s.isEmpty()) emit input(s, bytes);
  });
  connect(term, &TerminalWidget::resized, this, [this, term](int rows, int cols) {
    QString s = term->property(kSession).toString();
    if (!s.isEmpty()) emit resized(s, rows, cols);
  });
  stack_->setCurrentWidget(tabs_);
  tabs_->setCurrentIndex(at);
  term->setFocus();
  return term;
}

int ConsoleTabs::indexOf(const QString& session) const {
  if (session.isEmpty()) return -1;
  for (int i = 0; i < tabs_->count(); ++i)
    if (tabs_->widget(i)->property(kSession).toString() == session) return i;
  return -1;
}

int ConsoleTabs::hostIndex() const {
  for (int i = 0; i < tabs_->count(); ++i)
    if (tabs_->widget(i)->property(kHost).toBool() &&
        !tabs_->widget(i)->property(kSession).toString().isEmpty())
      return i;
  return -1;
}

TerminalWidget* ConsoleTabs::terminalOf(const QString& session) const {
  int i = indexOf(session);
  return i < 0 ? nullptr : static_cast<TerminalWidget*>(tabs_->widget(i));
}

TerminalWidget* ConsoleTabs::hostTerminal() const {
  int i = hostIndex();
  return i < 0 ? nullptr : static_cast<TerminalWidget*>(tabs_->widget(i));
}

QString ConsoleTabs::hostSession() const {
  int i = hostIndex();
  return i < 0 ? QString() : tabs_->widget(i)->property(kSession).toString();
}

TerminalWidget* ConsoleTabs::showHost() {
  int i = hostIndex();
  if (i < 0) return nullptr;
  tabs_->setCurrentIndex(i);
  return static_cast<TerminalWidget*>(tabs_->widget(i));
}

TerminalWidget* ConsoleTabs::currentTerminal() const {
  return static_cast<TerminalWidget*>(tabs_->currentWidget());
}

QString ConsoleTabs::currentSession() const {
  QWidget* w = tabs_->currentWidget();
  return w ? w->property(kSession).toString() : QString();
}

void ConsoleTabs::feed(const QString& session, const QByteArray& bytes) {
  if (TerminalWidget* t = terminalOf(session)) t->feed(bytes);
}

void ConsoleTabs::closed(const QString& session, int exitCode) {
  int i = indexOf(session);
  if (i < 0) return;
  auto* term = static_cast<TerminalWidget*>(tabs_->widget(i));
  term->setProperty(kSession, QString());
  tabs_->setTabText(i, tr("%1 \u2014 ended").arg(tabs_->tabText(i)));
  // Only an ended session's tab closes: a running one would keep running unseen.
  auto* close = new QToolButton(tabs_);
  close->setText(QStringLiteral("\u2715"));
  close->setAutoRaise(true);
  close->setToolTip(tr("Close this ended session's tab"));
  tabs_->tabBar()->setTabButton(i, QTabBar::RightSide, close);
  connect(close, &QToolButton::clicked, this, [this, term] {
    int at = tabs_->indexOf(term);
    if (at < 0) return;
    tabs_->removeTab(at);
    term->deleteLater();
    if (tabs_->count() == 0) stack_->setCurrentWidget(placeholder_);
  });
  term->feed(tr("\r\n[session ended, exit status %1; close this tab with its \u2715]\r\n")
                 .arg(exitCode)
                 .toUtf8());
}

}  // namespace boxlab::gui
