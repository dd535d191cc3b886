// The app on the simulator, without root (issue 21): the main window on `boxlab serve --sim`
// (the launch plan the app takes for --sim or BOXLAB_BACKEND=sim) shows the SIMULATED badge
// and says so in its title; lab 02 opened in the window opens the host shell, where the
// learner's commands, typed into the console, are the simulator's; the process tree, the
// charts and the live checks get their events from it (backend "sim"); step 1 passes, "Next
// step" opens step 2, whose answers typed in the same shell pass it too. A screenshot of the
// window goes to build/screenshots/sim-lab02.png. And an engine without root offers the
// simulator in its banner.
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "console_tabs.hpp"
#include "engine.hpp"
#include "lab_list_model.hpp"
#include "layer_model.hpp"
#include "main_window.hpp"
#include "namespace_model.hpp"
#include "root_support.hpp"
#include "session.hpp"
#include "terminal_widget.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 60000;
}  // namespace

class SimWindowTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-sim-XXXXXX")};
  QTemporaryDir state_{QStringLiteral("/tmp/boxlab-gui-sim-state-XXXXXX")};
  std::unique_ptr<Session> session_;
  std::unique_ptr<MainWindow> window_;
  QString lab_;
  QStringList backends_;  // of every proc.tree and cgroup.stats event
  int trees_ = 0, stats_ = 0;

  TerminalWidget* host() const { return window_->consoles()->hostTerminal(); }
  QString hostScreen() const { return host() ? host()->screenText() : QString(); }
  // Typed into the host shell's terminal, key by key, as the learner types.
  void type(const QString& line) {
    QTest::keyClicks(host(), line);
    QTest::keyClick(host(), Qt::Key_Return);
  }
  bool passed(int step) const {
    return session_->labs()->findStep(lab_, step).data(LabListModel::PassedRole).toBool();
  }

 private slots:
  void initTestCase() {
    QVERIFY(root_.isValid() && state_.isValid());
    test::useLabsFromSource(state_.path());
    qputenv("SHELL", "/bin/sh");  // the same prompt whatever the tester's shell
    LaunchEnvironment env;
    env.boxlab = QStringLiteral(BOXLAB_BIN);
    env.root = root_.path();
    env.simulator = true;
    QVector<LaunchPlan> plans = planServeLaunch(env);
    QCOMPARE(plans.size(), 1);
    QVERIFY(plans[0].arguments.contains(QStringLiteral("--sim")));
    session_ = std::make_unique<Session>(new ServeProcess(plans));
    connect(session_.get(), &Session::message, this,
            [](const QString& m) { qInfo("engine: %s", qPrintable(m)); });
    EventStream* s = session_->client()->stream();
    connect(s, &EventStream::procTree, this, [this](const ProcTreeEvent& e) {
      ++trees_;
      backends_ << e.header.backend;
    });
    connect(s, &EventStream::cgroupStats, this, [this](const CgroupStatsEvent& e) {
      ++stats_;
      backends_ << e.header.backend;
    });
    window_ = std::make_unique<MainWindow>(session_.get());
    window_->resize(1500, 940);
    window_->show();
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
  }

  void theWindowSaysItIsSimulated() {
    QCOMPARE(session_->client()->hello().value(QLatin1String("backend")).toString(),
             QStringLiteral("sim"));
    QVERIFY(window_->simulatedBadgeShown());
    QVERIFY(window_->findChild<QLabel*>(QStringLiteral("simulatedBadge"))->isVisible());
    QVERIFY2(window_->windowTitle().contains(QStringLiteral("simulated")),
             qPrintable(window_->windowTitle()));
    QVERIFY(window_->bannerText().contains(QStringLiteral("Simulated")));
    // No offer of the simulator while on it; the image panel's commands from it.
    QVERIFY(!window_->bannerText().contains(QStringLiteral("boxlab:simulator")));
    QVERIFY(session_->client()->supports(QStringLiteral("image.ls")));
  }

  void labTwoRunsThroughTheConsole() {
    LabListModel* labs = session_->labs();
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labsAvailable() && labs->findLab(QStringLiteral("02")).isValid(), kTimeout);
    QModelIndex lab = labs->findLab(QStringLiteral("02"));
    lab_ = lab.data(LabListModel::LabIdRole).toString();
    QVERIFY2(lab.data(LabListModel::AvailableRole).toBool(),
             qPrintable(lab.data(Qt::ToolTipRole).toString()));
    QVERIFY(!labs->findLab(QStringLiteral("03")).data(LabListModel::AvailableRole).toBool());
    // The banner names what runs here.
    QTRY_VERIFY_WITH_TIMEOUT(window_->bannerText().contains(QStringLiteral("on the simulator")),
                             kTimeout);

    window_->openLabWhenReady(lab_, 1);
    QTRY_VERIFY_WITH_TIMEOUT(session_->openLab() == lab_ && session_->openStepIndex() == 1,
                             kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(host() && (hostScreen().contains(QLatin1Char('$')) ||
                                        hostScreen().contains(QLatin1Char('#'))),
                             kTimeout);

    // Step 1 as the lab says; the app follows lab02-box by itself.
    type(QStringLiteral(
        "boxlab run -d --name lab02-box --ns pid,mount base sh -c 'sleep 1000; echo done'"));
    QTRY_COMPARE_WITH_TIMEOUT(session_->watched(), QStringLiteral("lab02-box"), kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(session_->processes()->liveCount() >= 2, kTimeout);  // sh, sleep
    QTRY_VERIFY_WITH_TIMEOUT(passed(1), kTimeout);
    QVERIFY(trees_ > 0 && stats_ > 0);
    QVERIFY(session_->resources()->last());
    for (const QString& b : backends_) QCOMPARE(b, QStringLiteral("sim"));

    // Next step: the host pids, found with the simulator's ps and pgrep.
    auto* next = window_->findChild<QPushButton*>(QStringLiteral("nextStep"));
    QTRY_VERIFY_WITH_TIMEOUT(next && next->isVisible(), kTimeout);
    QTest::mouseClick(next, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(session_->openStepIndex() == 2, kTimeout);
    type(QStringLiteral("boxlab ps | awk '$1 == \"lab02-box\" {print $4}' > pid1-host-pid"));
    type(QStringLiteral(
        "boxlab pgrep -x -f 'sleep 1000' -P $(cat pid1-host-pid) > sleep-host-pid; echo found-$?"));
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QStringLiteral("found-0")), kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(passed(2), kTimeout);

    QDir().mkpath(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots"));
    QApplication::processEvents();
    QVERIFY(window_->grab().save(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/sim-lab02.png")));
  }

  void aShellInTheContainerAndThePanels() {
    // The panels of the watched container (lab02-box): security as the real runtime would
    // apply it, the image's layers (marked simulated: this root has no image store).
    QCOMPARE(session_->watched(), QStringLiteral("lab02-box"));
    QTRY_VERIFY_WITH_TIMEOUT(session_->security()->hasData(), kTimeout);
    QCOMPARE(session_->security()->current().profile, QStringLiteral("docker-default"));
    QCOMPARE(session_->security()->current().effective.names.size(), 14);
    // Namespaces against the simulated host's, not the app's own: lab02-box (--ns pid,mount)
    // has its own pid and mount namespaces and shares the network with that host.
    NamespaceModel* ns = session_->namespaces();
    auto shared = [ns](const QString& kind) {
      for (int r = 0; r < ns->rowCount(); ++r)
        if (ns->index(r, NamespaceModel::KindColumn).data().toString() == kind)
          return ns->index(r, 0).data(NamespaceModel::SharedRole);
      return QVariant();
    };
    QTRY_VERIFY_WITH_TIMEOUT(shared(QStringLiteral("network")).isValid(), kTimeout);
    QTRY_COMPARE_WITH_TIMEOUT(shared(QStringLiteral("network")).toBool(), true, kTimeout);
    QCOMPARE(shared(QStringLiteral("pid")).toBool(), false);
    QCOMPARE(shared(QStringLiteral("mount")).toBool(), false);
    QCOMPARE(shared(QStringLiteral("uts")).toBool(), true);
    QTRY_VERIFY_WITH_TIMEOUT(session_->layers()->hasStack(), kTimeout);
    QCOMPARE(session_->layers()->stack().layers.size(), 2);
    QVERIFY(session_->layers()->stack().simulated);
    QCOMPARE(session_->layers()->index(1, LayerModel::DigestColumn).data().toString(),
             QStringLiteral("simulated"));
    // The host shell's tab says which of its commands are the simulator's.
    QVERIFY2(window_->consoles()->tabs()->tabText(0).contains(QStringLiteral("pgrep")),
             qPrintable(window_->consoles()->tabs()->tabText(0)));

    // "Shell in container": a simulated shell, a process of the container while it runs.
    int before = session_->processes()->liveCount();
    window_->openShell();
    TerminalWidget* shell = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((shell = window_->consoles()->currentTerminal()) && shell != host(),
                             kTimeout);
    // busybox's prompt, "/ # " (the screen's text drops trailing blanks).
    QTRY_VERIFY2_WITH_TIMEOUT(shell->screenText().contains(QStringLiteral("/ #")),
                              qPrintable(shell->screenText()), kTimeout);
    QVERIFY(window_->consoles()
                ->tabs()
                ->tabText(window_->consoles()->tabs()->currentIndex())
                .contains(QStringLiteral("simulated")));
    QTRY_COMPARE_WITH_TIMEOUT(session_->processes()->liveCount(), before + 1, kTimeout);
    QTest::keyClicks(shell, QStringLiteral("ps -o pid,ppid,args"));
    QTest::keyClick(shell, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(shell->screenText().count(QStringLiteral("/ #")) >= 2 &&
                                 shell->screenText().contains(QStringLiteral("sleep 1000")),
                             kTimeout);
    QApplication::processEvents();
    QVERIFY(window_->grab().save(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/sim-shell.png")));
    // The security panel, brought forward, for a look.
    auto* security = window_->findChild<QDockWidget*>(QStringLiteral("namespaces"));
    QVERIFY(security);
    security->raise();
    QApplication::processEvents();
    QVERIFY(
        window_->grab().save(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/sim-security.png")));
    auto* layers = window_->findChild<QDockWidget*>(QStringLiteral("layers"));
    QVERIFY(layers);
    layers->raise();
    QApplication::processEvents();
    QVERIFY(window_->grab().save(QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/sim-layers.png")));
    QTest::keyClicks(shell, QStringLiteral("exit"));
    QTest::keyClick(shell, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(session_->processes()->liveCount(), before, kTimeout);
  }

  void aNewContainerGetsItsShellOnATerminal() {
    // File > New container's request, as its dialog sends it: tty, the command sh, --rm.
    QString name = QStringLiteral("sim-new");
    window_->runInTerminal({{QStringLiteral("image"), QStringLiteral("base")},
                            {QStringLiteral("name"), name},
                            {QStringLiteral("ns"), QStringLiteral("pid,mount,uts")},
                            {QStringLiteral("hostname"), QStringLiteral("newbox")},
                            {QStringLiteral("rm"), true},
                            {QStringLiteral("tty"), true},
                            {QStringLiteral("command"), QJsonArray{QStringLiteral("sh")}}});
    auto tabText = [this] {
      return window_->consoles()->tabs()->tabText(window_->consoles()->tabs()->currentIndex());
    };
    TerminalWidget* shell = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (shell = window_->consoles()->currentTerminal()) && tabText().contains(name), kTimeout);
    QVERIFY2(tabText().contains(QStringLiteral("simulated")), qPrintable(tabText()));
    QTRY_VERIFY2_WITH_TIMEOUT(shell->screenText().contains(QStringLiteral("/ #")),
                              qPrintable(shell->screenText()), kTimeout);
    // The shell is the container's command: pid 1 in its own pid namespace, its hostname.
    QTest::keyClicks(shell, QStringLiteral("echo pid $$ on $(hostname)"));
    QTest::keyClick(shell, Qt::Key_Return);
    QTRY_VERIFY2_WITH_TIMEOUT(shell->screenText().contains(QStringLiteral("pid 1 on newbox")),
                              qPrintable(shell->screenText()), kTimeout);
    // The app watches the container it started: its tree has the shell.
    QTRY_COMPARE_WITH_TIMEOUT(session_->watched(), name, kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(session_->processes()->liveCount() >= 1, kTimeout);
    auto* caption = window_->findChild<QLabel*>(QStringLiteral("processCaption"));
    QVERIFY(caption);
    QTRY_VERIFY2_WITH_TIMEOUT(caption->text().contains(QStringLiteral("1 running")),
                              qPrintable(caption->text()), kTimeout);
    QApplication::processEvents();
    QVERIFY(window_->grab().save(
        QStringLiteral(BOXLAB_BINARY_DIR "/screenshots/sim-new-container.png")));
    // Its exit ends the container (--rm: removed).
    QTest::keyClicks(shell, QStringLiteral("exit"));
    QTest::keyClick(shell, Qt::Key_Return);
    auto gone = [&] {
      int code = 0;
      test::runBoxlab(root_.path(), {QStringLiteral("--sim"), QStringLiteral("inspect"), name},
                      &code);
      return code != 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(gone(), kTimeout);
  }

  void anEngineWithoutRootOffersTheSimulator() {
    LaunchEnvironment env;
    env.boxlab = QStringLiteral(BOXLAB_BIN);
    env.untrustedWhy = QStringLiteral("a build tree");
    QVector<LaunchPlan> plans = planServeLaunch(env);
    QVERIFY(!plans.isEmpty());
    QCOMPARE(plans.last().how, QStringLiteral("without root"));
    QVERIFY(plans.last().offersSimulator);
    QVERIFY(!plans.last().arguments.contains(QStringLiteral("--sim")));
  }

  void theRootlessBannersOfferAsksForTheSimulator() {
    // An engine that says it runs without root (the plan's notice): its banner carries the
    // offer, and taking it asks the app to start again on the simulator (main.cpp does that).
    QTemporaryDir root(QStringLiteral("/tmp/boxlab-gui-sim-offer-XXXXXX"));
    LaunchPlan plan{
        QStringLiteral(BOXLAB_BIN),
        {QStringLiteral("--root"), root.path(), QStringLiteral("serve"), QStringLiteral("--sim")},
        QStringLiteral("without root"),
        QStringLiteral("The engine runs without root."),
        true};
    Session session(new ServeProcess({plan}));
    MainWindow window(&session);
    window.show();
    session.start();
    QTRY_VERIFY_WITH_TIMEOUT(session.isEngineReady(), kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(window.bannerText().contains(QStringLiteral("boxlab:simulator")),
                             kTimeout);
    QSignalSpy asked(&window, &MainWindow::simulatorRequested);
    auto* banner = window.findChild<QLabel*>(QStringLiteral("engineBanner"));
    QVERIFY(banner);
    emit banner->linkActivated(QStringLiteral("boxlab:simulator"));
    QCOMPARE(asked.count(), 1);
    session.stop();
  }

  void cleanupTestCase() {
    if (!session_) return;
    session_->stop();
    test::runBoxlab(root_.path(), {QStringLiteral("--sim"), QStringLiteral("rm"),
                                   QStringLiteral("-f"), QStringLiteral("lab02-box")});
  }
};

QTEST_MAIN(SimWindowTest)
#include "sim_window_test.moc"
