// Issue 20's "Done means", on the real engine (label root): presenting deck 02 wired to the
// app's Session as boxlab-gui wires it, a demo block runs in the host shell (opened for it, the
// line shown first, run on the second key press), and L jumps into the linked lab step.
#include <unistd.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "boxlab/slides.hpp"
#include "console_tabs.hpp"
#include "presenter.hpp"
#include "presenter_session.hpp"
#include "root_support.hpp"
#include "session.hpp"
#include "terminal_widget.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 90000;
}

class RootPresenterTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-present-XXXXXX")};
  QTemporaryDir state_{QStringLiteral("/tmp/boxlab-gui-present-state-XXXXXX")};
  std::unique_ptr<Session> session_;
  std::unique_ptr<QWidget> window_;
  ConsoleTabs* consoles_ = nullptr;
  std::unique_ptr<Presenter> presenter_;

  QString hostScreen() const {
    TerminalWidget* t = consoles_->hostTerminal();
    return t ? t->screenText() : QString();
  }
  int slideWith(const std::string& title) const {
    for (const auto& s : presenter_->deck().slides)
      if (s.title == title) return s.number - 1;
    return -1;
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and a host shell");
    QVERIFY(root_.isValid() && state_.isValid());
    test::useLabsFromSource(state_.path());
    qputenv("SHELL", "/bin/sh");
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    // The main window's part: the console, and a tab for the host shell when it opens.
    window_ = std::make_unique<QWidget>();
    consoles_ = new ConsoleTabs(window_.get());
    consoles_->resize(900, 500);
    connect(consoles_, &ConsoleTabs::input, session_.get(), &Session::sendInput);
    connect(consoles_, &ConsoleTabs::resized, session_.get(), &Session::resizeTerminal);
    connect(session_.get(), &Session::consoleOutput, consoles_, &ConsoleTabs::feed);
    connect(session_.get(), &Session::consoleClosed, consoles_, &ConsoleTabs::closed);
    connect(session_.get(), &Session::hostShellOpened, this, [this](const QString& s) {
      TerminalWidget* t = consoles_->addSession(s, ConsoleTabs::Kind::Host);
      session_->resizeTerminal(s, t->rows(), t->cols());
    });
    window_->resize(900, 500);
    window_->show();
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labsAvailable() && session_->labs()->findLab(QStringLiteral("04")).isValid(),
        kTimeout);
    presenter_ = std::make_unique<Presenter>(
        boxlab::slides::load_deck(boxlab::slides::find_deck(BOXLAB_SOURCE_DIR "/slides", "02")));
    connectPresenter(presenter_.get(), window_.get(), session_.get(), consoles_);
    presenter_->start();
  }

  void aDemoRunsInTheHostShell() {
    int i = slideWith("A namespace has an identity");
    QVERIFY(i >= 0);
    presenter_->go(i);
    QVERIFY(session_->hostShellSession().isEmpty());
    QTest::keyClick(presenter_->presenterWindow(), Qt::Key_D);  // shown (and the shell opens)
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QStringLiteral("ls -l /proc/self/ns")),
                             kTimeout);
    QVERIFY(!hostScreen().contains(QStringLiteral("pid:[")));   // not run yet
    QTest::keyClick(presenter_->presenterWindow(), Qt::Key_D);  // run
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QStringLiteral("pid:[")), kTimeout);
    // The second line starts a container from the same shell: busybox's ls in it prints the
    // links without the quotes of the host's GNU ls.
    QTest::keyClick(presenter_->presenterWindow(), Qt::Key_D);
    QTRY_VERIFY_WITH_TIMEOUT(
        hostScreen().contains(QStringLiteral("# boxlab run --rm base ls -l /proc/self/ns")),
        kTimeout);
    QVERIFY(!hostScreen().contains(QStringLiteral("-> pid:[")));
    QTest::keyClick(presenter_->presenterWindow(), Qt::Key_D);
    QTRY_VERIFY_WITH_TIMEOUT(hostScreen().contains(QStringLiteral("-> pid:[")), kTimeout);
    QCOMPARE(consoles_->hostSession(), session_->hostShellSession());
  }

  void theLabLinkOpensTheStep() {
    int i = slideWith("Three system calls");  // its notes link lab:04/4
    QVERIFY(i >= 0);
    presenter_->go(i);
    QTest::keyClick(presenter_->presenterWindow(), Qt::Key_L);
    QTRY_COMPARE_WITH_TIMEOUT(session_->openLab(), QStringLiteral("04-uts-ipc"), kTimeout);
    QCOMPARE(session_->openStepIndex(), 4);
    // And back: the slides are where they were.
    presenter_->resume();
    QCOMPARE(presenter_->index(), i);
  }

  void cleanupTestCase() {
    presenter_.reset();
    session_.reset();
  }
};

QTEST_MAIN(RootPresenterTest)
#include "root_presenter_test.moc"
