#include "main_window.hpp"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "cgroup_view.hpp"
#include "checks_panel.hpp"
#include "console_tabs.hpp"
#include "event_stream.hpp"
#include "fleet_view.hpp"
#include "import_dialog.hpp"
#include "lab_list_model.hpp"
#include "lab_navigator.hpp"
#include "layer_view.hpp"
#include "namespace_view.hpp"
#include "network_view.hpp"
#include "palette.hpp"
#include "presenter_session.hpp"
#include "process_tree_view.hpp"
#include "resource_charts.hpp"
#include "session.hpp"
#include "terminal_widget.hpp"

namespace boxlab::gui {

MainWindow::MainWindow(Session* session, QWidget* parent) : QMainWindow(parent), session_(session) {
  setWindowTitle(tr("boxlab"));
  setObjectName(QStringLiteral("MainWindow"));
  setDockNestingEnabled(true);

  // Central: banners, the container bar, the console.
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);
  banner_ = new QLabel(central);
  banner_->setWordWrap(true);
  banner_->setTextFormat(Qt::RichText);
  banner_->setMargin(8);
  banner_->setAutoFillBackground(true);
  banner_->setObjectName(QStringLiteral("engineBanner"));
  // Its one link is the offer of the simulator (noticeWithOffer), handled here, not opened.
  banner_->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
  connect(banner_, &QLabel::linkActivated, this, [this](const QString& link) {
    if (link == QLatin1String("boxlab:simulator")) emit simulatorRequested();
  });
  banner_->hide();
  layout->addWidget(banner_);
  auto* messageRow = new QHBoxLayout;
  messageBar_ = new QLabel(central);
  messageBar_->setObjectName(QStringLiteral("messageBar"));
  messageBar_->setWordWrap(true);
  messageBar_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  messageClose_ = new QToolButton(central);
  messageClose_->setText(QStringLiteral("\u2715"));
  messageClose_->setToolTip(tr("Dismiss"));
  // A passed step leads on: the next step, one click away (or Lab > Next step).
  nextStep_ = new QPushButton(tr("Next step →"), central);
  nextStep_->setObjectName(QStringLiteral("nextStep"));
  messageRow->addWidget(messageBar_, 1);
  messageRow->addWidget(nextStep_);
  messageRow->addWidget(messageClose_);
  layout->addLayout(messageRow);
  messageBar_->hide();
  messageClose_->hide();
  nextStep_->hide();
  connect(messageClose_, &QToolButton::clicked, this, &MainWindow::clearMessage);
  connect(nextStep_, &QPushButton::clicked, this, &MainWindow::openNextStep);

  auto* bar = new QHBoxLayout;
  auto* label = new QLabel(tr("&Container:"), central);
  containers_ = new QComboBox(central);
  containers_->setMinimumContentsLength(18);
  containers_->setAccessibleName(tr("Watched container"));
  label->setBuddy(containers_);
  auto* shell = new QPushButton(tr("Open &shell"), central);
  shell->setToolTip(tr("A shell inside the watched container, on a real terminal (Ctrl+T)"));
  auto* create = new QPushButton(tr("&New container\u2026"), central);
  create->setToolTip(tr("Start a container with limits and namespaces you choose (Ctrl+N)"));
  // What the views show comes from the simulator: said on every screen, never only in a log.
  simBadge_ = new QLabel(tr("SIMULATED"), central);
  simBadge_->setObjectName(QStringLiteral("simulatedBadge"));
  simBadge_->setToolTip(
      tr("The engine is the simulator (boxlab serve --sim): containers, processes, namespaces "
         "and cgroups are simulated, not the kernel's. docs/simulator.md says what is real."));
  simBadge_->setStyleSheet(
      QStringLiteral("QLabel#simulatedBadge { background: #6f42c1; color: white; font-weight: bold;"
                     " border-radius: 4px; padding: 2px 8px; }"));
  simBadge_->hide();
  connect(session->client()->stream(), &EventStream::backendSeen, this,
          [this](const QString& backend) { setSimulated(backend == QLatin1String("sim")); });
  bar->addWidget(simBadge_);
  bar->addWidget(label);
  bar->addWidget(containers_, 1);
  bar->addWidget(shell);
  bar->addWidget(create);
  layout->addLayout(bar);
  consoles_ = new ConsoleTabs(central);
  consoles_->setPlaceholder(
      tr("No terminal yet. Open a lab: its host shell opens here (Ctrl+Shift+H opens one any "
         "time). Or start a container (Ctrl+N) or a shell in the watched one (Ctrl+T)."));
  layout->addWidget(consoles_, 1);
  setCentralWidget(central);
  connect(shell, &QPushButton::clicked, this, &MainWindow::openShell);
  connect(create, &QPushButton::clicked, this, &MainWindow::newContainer);
  connect(containers_, &QComboBox::activated, this,
          [this](int i) { session_->watch(containers_->itemData(i).toString()); });

  navigator_ = new LabNavigator(session->labs(), this);
  checks_ = new ChecksPanel(session->checks(), this);
  processes_ = new ProcessTreeView(session->processes(), this);
  charts_ = new ResourceCharts(session->resources(), this);
  namespaces_ =
      new NamespaceView(session->namespaces(), session->security(), session->mounts(), this);
  network_ = new NetworkView(session->network(), this);
  layers_ = new LayerView(session->layers(), this);
  cgroup_ = new CgroupView(session->cgroupFiles(), this);
  // The fleet is a simulation the user's own boxlab plays (no engine, no root).
  fleet_ = new FleetView(findBoxlab(), this);
  addDock(tr("Labs"), QStringLiteral("labs"), navigator_, Qt::LeftDockWidgetArea);
  addDock(tr("Checks"), QStringLiteral("checks"), checks_, Qt::BottomDockWidgetArea);
  QDockWidget* proc =
      addDock(tr("Processes"), QStringLiteral("processes"), processes_, Qt::RightDockWidgetArea);
  QDockWidget* res =
      addDock(tr("Resources"), QStringLiteral("resources"), charts_, Qt::RightDockWidgetArea);
  QDockWidget* ns = addDock(tr("Namespaces and security"), QStringLiteral("namespaces"),
                            namespaces_, Qt::RightDockWidgetArea);
  QDockWidget* net =
      addDock(tr("Network"), QStringLiteral("network"), network_, Qt::RightDockWidgetArea);
  QDockWidget* img =
      addDock(tr("Image layers"), QStringLiteral("layers"), layers_, Qt::RightDockWidgetArea);
  QDockWidget* cg =
      addDock(tr("cgroup"), QStringLiteral("cgroup"), cgroup_, Qt::RightDockWidgetArea);
  QDockWidget* fleet =
      addDock(tr("Fleet (simulated)"), QStringLiteral("fleet"), fleet_, Qt::RightDockWidgetArea);
  splitDockWidget(proc, res, Qt::Vertical);
  tabifyDockWidget(res, ns);
  tabifyDockWidget(ns, net);
  tabifyDockWidget(net, img);
  tabifyDockWidget(img, cg);
  tabifyDockWidget(cg, fleet);
  res->raise();
  // The instructor view: below the labs, hidden until View > Instructor notes. Not one of
  // docks_ (their toggles list panes for everyone).
  instructorNotes_ = new QTextBrowser(this);
  instructorNotes_->setAccessibleName(tr("Instructor notes"));
  instructorNotes_->setOpenExternalLinks(true);
  instructorDock_ = new QDockWidget(tr("Instructor notes"), this);
  instructorDock_->setObjectName(QStringLiteral("instructor"));
  instructorDock_->setWidget(instructorNotes_);
  addDockWidget(Qt::LeftDockWidgetArea, instructorDock_);
  splitDockWidget(docks_[0], instructorDock_, Qt::Vertical);
  instructorDock_->hide();
  resizeDocks({docks_[0]}, {380}, Qt::Horizontal);
  resizeDocks({proc}, {560}, Qt::Horizontal);
  resizeDocks({docks_[1]}, {200}, Qt::Vertical);
  resizeDocks({proc, res}, {300, 520}, Qt::Vertical);

  // The consoles: keys out as console.input, size changes as console.resize, per session.
  connect(consoles_, &ConsoleTabs::input, session, &Session::sendInput);
  connect(consoles_, &ConsoleTabs::resized, session, &Session::resizeTerminal);
  connect(session, &Session::consoleOutput, consoles_, &ConsoleTabs::feed);
  connect(session, &Session::consoleClosed, consoles_, &ConsoleTabs::closed);
  connect(session, &Session::hostShellOpened, this, [this](const QString& s, const QString& cwd) {
    TerminalWidget* t = consoles_->addSession(s, ConsoleTabs::Kind::Host);
    if (session_->hostShellIsRoot()) consoles_->markRootShell(t);
    if (!session_->hostShellSimulated().isEmpty())
      consoles_->markSimulated(t, session_->hostShellSimulated());
    session_->resizeTerminal(s, t->rows(), t->cols());
    statusBar()->showMessage(tr("Host shell in %1: type the lab's boxlab commands there.").arg(cwd),
                             10000);
  });

  connect(navigator_, &LabNavigator::stepActivated, this, [this](const QString& lab, int step) {
    checks_->clearHints();
    session_->openStep(lab, step);
  });
  connect(session, &Session::stepOpened, this, &MainWindow::onStepOpened);
  connect(navigator_, &LabNavigator::commandCopied, this, [this](const QString& command) {
    statusBar()->showMessage(
        tr("Copied: %1 (paste it with Ctrl+Shift+V in the terminal)").arg(command), 6000);
  });
  connect(session, &Session::hintRevealed, checks_, &ChecksPanel::addHint);
  connect(session, &Session::hintsKnown, checks_, &ChecksPanel::setHintCount);
  connect(network_, &NetworkView::refreshRequested, session, &Session::refreshNetwork);
  connect(layers_, &LayerView::pathRequested, session, &Session::refreshLayers);
  connect(cgroup_, &CgroupView::refreshRequested, session, &Session::refreshCgroupFiles);
  // The files change as the container runs: read again while the panel is on screen.
  auto* cgroupTimer = new QTimer(this);
  cgroupTimer->setInterval(2000);
  connect(cgroupTimer, &QTimer::timeout, this, [this, cg] {
    if (cg->isVisible() && !cg->visibleRegion().isEmpty()) session_->refreshCgroupFiles();
  });
  cgroupTimer->start();
  connect(checks_, &ChecksPanel::hintRequested, session, &Session::nextHint);
  connect(checks_, &ChecksPanel::checkNowRequested, session, &Session::checkNow);
  // Every row of the step's checks on screen (a 1500x940 window clipped the 4th): the dock
  // grows to what they need, up to 40 % of the window; the learner can shrink it again.
  connect(checks_, &ChecksPanel::wantsHeight, this, [this](int h) {
    QDockWidget* d = dock(QStringLiteral("checks"));
    if (!d || d->isFloating()) return;
    int extra = d->height() - checks_->height();  // the dock's title bar
    resizeDocks({d}, {std::min(h + extra, height() * 40 / 100)}, Qt::Vertical);
  });
  connect(checks_, &ChecksPanel::autoRecheckToggled, this, [this](bool on) {
    if (on)
      session_->openStep(session_->openLab(), session_->openStepIndex());
    else
      session_->closeLab();
  });
  connect(session, &Session::stepPassed, this, [this](const QString& lab, int step) {
    // The learner knows the lab by its number and title, not its id (06-cgroup-memory).
    showMessage(session_->labs()->stepPassedText(lab, step) + tr(" Well done!"), false);
    bool open = lab == session_->openLab() && step == session_->openStepIndex();
    nextStep_->setVisible(open && session_->labs()->findStep(lab, step + 1).isValid());
    if (lab == session_->openLab() && step == session_->openStepIndex())  // its mark changed
      checks_->setStepTitle(session_->labs()->findStep(lab, step).data().toString());
  });
  connect(namespaces_, &NamespaceView::refreshMountsRequested, session, &Session::refreshMounts);

  connect(session, &Session::message, this, [this](const QString& m) { showMessage(m, true); });
  connect(session, &Session::containersChanged, this, &MainWindow::refreshContainerList);
  connect(session, &Session::watchedChanged, this, &MainWindow::refreshContainerList);
  connect(session, &Session::engineReady, this, [this] {
    banner_->hide();
    if (QString notice = noticeWithOffer(); !notice.isEmpty()) {
      // Not an error: the app works, with less. Amber, not red.
      banner_->setText(notice);
      QPalette p = banner_->palette();
      p.setColor(QPalette::Window, QColor(0xff, 0xf3, 0xcd));
      p.setColor(QPalette::WindowText, QColor(0x66, 0x4d, 0x03));
      banner_->setPalette(p);
      banner_->show();
    }
    setSimulated(session_->client()->hello().value(QLatin1String("backend")).toString() ==
                 QLatin1String("sim"));
    statusBar()->showMessage(
        tr("Engine: %1 (backend %2)")
            .arg(session_->engineDescription(),
                 session_->client()->hello().value(QLatin1String("backend")).toString()));
  });
  connect(session, &Session::engineUnavailable, this, [this](const QString& m) {
    banner_->setText(tr("<b>The container engine is unavailable.</b> %1<br>Nothing on screen is "
                        "live: boxlab-gui needs <tt>boxlab serve</tt> running as root (start it "
                        "as root, or allow pkexec or passwordless sudo).")
                         .arg(m.toHtmlEscaped()));
    QPalette p = banner_->palette();
    p.setColor(QPalette::Window, QColor(0xf8, 0xd7, 0xda));
    p.setColor(QPalette::WindowText, QColor(0x72, 0x1c, 0x24));
    banner_->setPalette(p);
    banner_->show();
    navigator_->setNotice(tr("Labs need the engine."));
    checks_->setEnabledActions(false);
    statusBar()->showMessage(tr("Engine unavailable"));
  });
  connect(session, &Session::labsChanged, this, [this] {
    // Without root, the banner names the labs that can run (the engine said which).
    if (!session_->engineNotice().isEmpty() && !session_->client()
                                                    ->hello()
                                                    .value(QLatin1String("capabilities"))
                                                    .toObject()
                                                    .value(QLatin1String("privileged"))
                                                    .toBool()) {
      QStringList open;
      LabListModel* labs = session_->labs();
      for (int row = 0; row < labs->rowCount(); ++row) {
        QModelIndex lab = labs->index(row, 0);
        if (lab.data(LabListModel::AvailableRole).toBool())
          open << lab.data(Qt::DisplayRole)
                      .toString()
                      .remove(QRegularExpression(QStringLiteral("\\s+\\d+/\\d+$")))
                      .toHtmlEscaped();
      }
      bool simulated = session_->client()->hello().value(QLatin1String("backend")).toString() ==
                       QLatin1String("sim");
      banner_->setText(session_->engineNotice() + QLatin1Char(' ') +
                       (open.isEmpty() ? tr("No lab can run without root.")
                                       : (simulated ? tr("Labs you can do on the simulator: %1.")
                                                    : tr("Labs you can do now: %1."))
                                             .arg(open.join(tr(", ")))) +
                       (session_->client()->engine()->offersSimulator()
                            ? QStringLiteral(" ") + simulatorOffer()
                            : QString()));
    }
    navigator_->setNotice(session_->labsAvailable()
                              ? QString()
                              : tr("<b>Labs are not available from this engine yet.</b><br>%1")
                                    .arg(session_->labsUnavailableReason().toHtmlEscaped()));
    openPendingLab();
  });

  buildMenus();
  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  // Off unless asked for, whatever the saved layout had.
  instructorDock_->setVisible(settings.value(QStringLiteral("view/instructor"), false).toBool());
  refreshContainerList();
}

QDockWidget* MainWindow::addDock(const QString& title, const QString& objectName, QWidget* widget,
                                 Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(objectName);
  dock->setWidget(widget);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                    QDockWidget::DockWidgetClosable);
  addDockWidget(area, dock);
  docks_ << dock;
  return dock;
}

QDockWidget* MainWindow::dock(const QString& objectName) const {
  for (QDockWidget* d : docks_)
    if (d->objectName() == objectName) return d;
  return nullptr;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* create = file->addAction(tr("&New container\u2026"), this, &MainWindow::newContainer);
  create->setShortcut(QKeySequence::New);
  QAction* shell = file->addAction(tr("Open &shell in container"), this, &MainWindow::openShell);
  shell->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
  QAction* hostShell = file->addAction(tr("Open &host shell"), this, &MainWindow::openHostShell);
  hostShell->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_H));
  file->addAction(tr("&Import image\u2026"), this, &MainWindow::importImage);
  file->addAction(tr("&Present slides\u2026"), this,
                  [this] { choosePresentation(this, session_, consoles_); });
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* copy = edit->addAction(tr("&Copy from terminal"), this, [this] {
    if (TerminalWidget* t = terminal()) t->copy();
  });
  copy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
  QAction* paste = edit->addAction(tr("&Paste into terminal"), this, [this] {
    if (TerminalWidget* t = terminal()) t->paste();
  });
  paste->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_V));

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* host = view->addAction(tr("Processes as the &host sees them"));
  host->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
  QAction* inside = view->addAction(tr("Processes as the &container sees them"));
  inside->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
  connect(host, &QAction::triggered, processes_, [this] { processes_->setContainerView(false); });
  connect(inside, &QAction::triggered, processes_, [this] { processes_->setContainerView(true); });
  view->addSeparator();
  QAction* dark = view->addAction(tr("&Dark palette"));
  dark->setCheckable(true);
  dark->setChecked(dark_);
  dark->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
  connect(dark, &QAction::toggled, this, &MainWindow::setDark);
  QAction* next = view->addAction(tr("Focus &next pane"), this, &MainWindow::focusNextPane);
  next->setShortcut(QKeySequence(Qt::Key_F6));
  QAction* instructor = view->addAction(tr("&Instructor notes"));
  instructor->setObjectName(QStringLiteral("instructorView"));
  instructor->setCheckable(true);
  instructor->setToolTip(tr("The open lab's INSTRUCTOR.md: objectives, timings, common mistakes"));
  instructor->setChecked(QSettings().value(QStringLiteral("view/instructor"), false).toBool());
  connect(instructor, &QAction::toggled, this, &MainWindow::setInstructorView);
  // Closed with its own button: the menu follows.
  connect(instructorDock_, &QDockWidget::visibilityChanged, this, [this, instructor](bool) {
    if (!instructorDock_->isVisibleTo(this) && instructor->isChecked() && isVisible())
      instructor->setChecked(false);
  });
  if (instructor->isChecked()) setInstructorView(true);
  view->addSeparator();
  for (QDockWidget* d : docks_) view->addAction(d->toggleViewAction());

  QMenu* lab = menuBar()->addMenu(tr("&Lab"));
  QAction* check = lab->addAction(tr("Check &now"), session_, &Session::checkNow);
  check->setShortcut(QKeySequence(Qt::Key_F5));
  QAction* hint = lab->addAction(tr("Next &hint"), session_, &Session::nextHint);
  hint->setShortcut(QKeySequence(Qt::Key_F1));
  QAction* nextStep = lab->addAction(tr("Next &step"), this, &MainWindow::openNextStep);
  nextStep->setShortcut(QKeySequence(Qt::Key_F8));
  QAction* labs = lab->addAction(tr("&Refresh labs"), session_, &Session::refreshLabs);
  labs->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About boxlab"), this, &MainWindow::about);
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::setDark(bool dark) {
  dark_ = dark;
  applyPalette(dark);
  charts_->applyPalette();
  fleet_->applyPalette();
  QSettings().setValue(QStringLiteral("view/dark"), dark);
}

bool MainWindow::instructorView() const {
  return instructorDock_->isVisibleTo(const_cast<MainWindow*>(this));
}

QString MainWindow::instructorText() const {
  return instructorNotes_->toMarkdown();
}

void MainWindow::setInstructorView(bool on) {
  instructorDock_->setVisible(on);
  QSettings().setValue(QStringLiteral("view/instructor"), on);
  if (on) updateInstructorNotes();
}

void MainWindow::updateInstructorNotes() {
  QString lab = session_->openLab();
  QModelIndex i = session_->labs()->findLab(lab);
  QString notes = i.data(LabListModel::InstructorRole).toString();
  if (lab.isEmpty())
    instructorNotes_->setMarkdown(tr("*Open a lab: its instructor notes show here.*"));
  else if (notes.isEmpty())
    instructorNotes_->setMarkdown(tr("*Lab %1 has no INSTRUCTOR.md (or this engine does not send "
                                     "it).*")
                                      .arg(lab));
  else
    instructorNotes_->setMarkdown(notes);
}

void MainWindow::focusNextPane() {
  QList<QWidget*> panes{navigator_->tree(),
                        consoles_,
                        processes_->tree(),
                        checks_,
                        charts_,
                        namespaces_,
                        network_,
                        layers_,
                        cgroup_};
  int current = -1;
  for (int i = 0; i < panes.size(); ++i)
    if (panes[i]->isAncestorOf(focusWidget()) || panes[i] == focusWidget()) current = i;
  for (int step = 1; step <= panes.size(); ++step) {
    QWidget* w = panes[(current + step) % panes.size()];
    if (w->isVisible()) {
      w->setFocus(Qt::TabFocusReason);
      if (!w->hasFocus()) w->nextInFocusChain()->setFocus(Qt::TabFocusReason);
      return;
    }
  }
}

void MainWindow::clearMessage() {
  messageBar_->hide();
  messageClose_->hide();
  nextStep_->hide();
  messageIsError_ = false;
}

void MainWindow::openNextStep() {
  QString lab = session_->openLab();
  int next = session_->openStepIndex() + 1;
  if (lab.isEmpty() || !session_->labs()->findStep(lab, next).isValid()) return;
  checks_->clearHints();
  if (!messageIsError_) clearMessage();  // at once: the step's text follows the engine's reply
  session_->openStep(lab, next);
}

void MainWindow::showMessage(const QString& text, bool error) {
  messageIsError_ = error;
  nextStep_->hide();  // only a pass offers it, right after
  messageBar_->setText(text);
  messageBar_->setStyleSheet(error ? QStringLiteral("color: #b02020; font-weight: bold;")
                                   : QStringLiteral("color: #209a40; font-weight: bold;"));
  messageBar_->show();
  messageClose_->show();
  statusBar()->showMessage(text, 10000);
}

void MainWindow::refreshContainerList() {
  QString watched = session_->watched();
  containers_->blockSignals(true);
  containers_->clear();
  containers_->addItem(tr("(none)"), QString());
  for (const auto& c : session_->containers())
    containers_->addItem(QStringLiteral("%1 \u2014 %2%3")
                             .arg(c.name, c.status, c.pid ? tr(", pid %1").arg(c.pid) : QString()),
                         c.name);
  int i = containers_->findData(watched);
  containers_->setCurrentIndex(i < 0 ? 0 : i);
  containers_->blockSignals(false);
}

TerminalWidget* MainWindow::terminal() const {
  return consoles_->currentTerminal();
}

QString MainWindow::terminalSession() const {
  return consoles_->currentSession();
}

void MainWindow::attachTerminal(const QString& session, const QString& container) {
  TerminalWidget* t = consoles_->addSession(session, ConsoleTabs::Kind::Container, container);
  if (simulatedBadgeShown()) consoles_->markSimulated(t, {});
  session_->resizeTerminal(session, t->rows(), t->cols());
}

void MainWindow::openHostShell() {
  if (!session_->hostShellSession().isEmpty()) {
    consoles_->showHost();
    return;
  }
  session_->openHostShell();
}

void MainWindow::openShell() {
  QString name = session_->watched();
  if (name.isEmpty()) {
    showMessage(tr("Pick a running container first (or start one with Ctrl+N)."), true);
    return;
  }
  session_->openTerminal(name, {QStringLiteral("sh")}, [this, name](const QString& s) {
    if (!s.isEmpty()) attachTerminal(s, name);
  });
}

void MainWindow::newContainer() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("New container"));
  auto* form = new QFormLayout(&dialog);
  auto* image = new QLineEdit(QStringLiteral("base"), &dialog);
  auto* name = new QLineEdit(QStringLiteral("box%1").arg(QCoreApplication::applicationPid() % 1000),
                             &dialog);
  auto* ns = new QLineEdit(QStringLiteral("pid,mount,uts,ipc,net,cgroup"), &dialog);
  auto* memory = new QLineEdit(QStringLiteral("64M"), &dialog);
  auto* pids = new QLineEdit(QStringLiteral("64"), &dialog);
  auto* cpus = new QLineEdit(&dialog);
  cpus->setPlaceholderText(tr("e.g. 0.5 (empty: no quota)"));
  auto* command = new QLineEdit(QStringLiteral("sh"), &dialog);
  form->addRow(tr("&Image"), image);
  form->addRow(tr("&Name"), name);
  form->addRow(tr("Name&spaces"), ns);
  form->addRow(tr("&Memory limit"), memory);
  form->addRow(tr("&Pids limit"), pids);
  form->addRow(tr("&CPUs"), cpus);
  form->addRow(tr("C&ommand"), command);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  QJsonObject args{
      {QStringLiteral("image"), image->text().trimmed()},
      {QStringLiteral("name"), name->text().trimmed()},
      {QStringLiteral("ns"), ns->text().trimmed()},
      {QStringLiteral("tty"), true},
      {QStringLiteral("command"),
       QJsonArray::fromStringList(QProcess::splitCommand(
           command->text().trimmed().isEmpty() ? QStringLiteral("sh") : command->text()))}};
  if (!memory->text().trimmed().isEmpty())
    args.insert(QStringLiteral("memory"), memory->text().trimmed());
  if (!pids->text().trimmed().isEmpty()) args.insert(QStringLiteral("pids"), pids->text().toInt());
  if (!cpus->text().trimmed().isEmpty())
    args.insert(QStringLiteral("cpus"), cpus->text().toDouble());
  runInTerminal(args);
}

void MainWindow::runInTerminal(const QJsonObject& args) {
  session_->runContainer(args, [this](const ReplyEvent& r) {
    if (r.ok)
      attachTerminal(r.body.value(QLatin1String("session")).toString(),
                     r.body.value(QLatin1String("name")).toString());
  });
}

void MainWindow::importImage() {
  // One dialog: an import runs on in the engine while it is hidden, and shows again here.
  auto* dialog = findChild<ImportDialog*>();
  if (!dialog) {
    dialog = new ImportDialog(session_, this);
    connect(dialog, &ImportDialog::imported, this, [this](const QString& name) {
      showMessage(tr("Image %1 imported: File > New container can run it.").arg(name), false);
    });
  } else {
    dialog->refreshImages();
  }
  dialog->show();
  dialog->raise();
}

void MainWindow::openLabWhenReady(const QString& labRef, int step) {
  pendingLab_ = labRef;
  pendingStep_ = step;
  openPendingLab();  // the labs may be listed already (labsChanged came before this call)
}

void MainWindow::openPendingLab() {
  if (pendingLab_.isEmpty() || !session_->labsAvailable()) return;
  QModelIndex found = session_->labs()->findLab(pendingLab_);
  if (!found.isValid()) return;
  pendingLab_.clear();
  session_->openStep(found.data(LabListModel::LabIdRole).toString(), pendingStep_);
}

void MainWindow::onStepOpened(const QString& labId, int stepIndex, const QString& instructions) {
  // A new step starts clean: the last step's "Well done" (and its Next step) goes; an error
  // stays until dismissed.
  if (!messageIsError_) clearMessage();
  navigator_->select(labId, stepIndex);
  if (instructorDock_->isVisibleTo(this)) updateInstructorNotes();
  navigator_->setInstructions(instructions);
  // A step that names fleet scenarios (labs 15 and 17): offer them, run the first, show it.
  if (fleet_->offerScenarios({session_->openLabDir(), session_->openLabAnswers()}, instructions)) {
    if (QDockWidget* d = dock(QStringLiteral("fleet"))) d->raise();
    fleet_->run();
  }
  QModelIndex i = stepIndex > 0 ? session_->labs()->findStep(labId, stepIndex) : QModelIndex();
  checks_->setStepTitle(i.isValid() ? i.data().toString() : QString());
  checks_->setEnabledActions(stepIndex > 0);
}

QString MainWindow::bannerText() const {
  return banner_->isHidden() ? QString() : banner_->text();
}

QString MainWindow::simulatorOffer() {
  return tr(
      "<a href=\"boxlab:simulator\">Use the simulator instead</a> (labs 02 and 06 "
      "without root; containers, processes and cgroups are simulated).");
}

QString MainWindow::noticeWithOffer() const {
  QString notice = session_->engineNotice();
  if (notice.isEmpty() || !session_->client()->engine()->offersSimulator()) return notice;
  return notice + QLatin1Char(' ') + simulatorOffer();
}

bool MainWindow::simulatedBadgeShown() const {
  return !simBadge_->isHidden();
}

void MainWindow::setSimulated(bool on) {
  simBadge_->setVisible(on);
  setWindowTitle(on ? tr("boxlab (simulated)") : tr("boxlab"));
}

void MainWindow::about() {
  const QJsonObject& hello = session_->client()->hello();
  QMessageBox::about(
      this, tr("About boxlab"),
      tr("<h3>boxlab %1</h3><p>A workshop kit for learning how containers really work: staged "
         "labs on a genuine container runtime, and this app to watch what each step changes.</p>"
         "<p>Engine: %2<br>Protocol %3, schema %4, backend %5.</p>"
         "<p>Qt %6, libvterm, Qt Charts.</p>")
          .arg(QCoreApplication::applicationVersion(),
               session_->engineDescription().toHtmlEscaped())
          .arg(hello.value(QLatin1String("protocol")).toInt())
          .arg(hello.value(QLatin1String("schema")).toInt())
          .arg(hello.value(QLatin1String("backend")).toString(tr("none")),
               QString::fromLatin1(qVersion())));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  event->accept();
}

}  // namespace boxlab::gui
