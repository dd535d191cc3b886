// The guided flow in the real main window on the real engine (label root, issue 18): a lab
// opened shows its introduction first; a step that passes says so with its number and title
// and offers "Next step"; taking it opens the next step and clears the banner (no "Well done"
// carried into the next step); an error stays until dismissed.
#include <unistd.h>

#include <QApplication>
#include <QLabel>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include "lab_list_model.hpp"
#include "main_window.hpp"
#include "root_support.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 90000;
}  // namespace

class RootWindowTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-window-XXXXXX")};
  QTemporaryDir state_{QStringLiteral("/tmp/boxlab-gui-window-state-XXXXXX")};
  std::unique_ptr<Session> session_;
  std::unique_ptr<MainWindow> window_;
  QString instructions_;

  QLabel* messageBar() const { return window_->findChild<QLabel*>(QStringLiteral("messageBar")); }
  QPushButton* nextStep() const {
    return window_->findChild<QPushButton*>(QStringLiteral("nextStep"));
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and real containers");
    QVERIFY(root_.isValid() && state_.isValid());
    test::useLabsFromSource(state_.path());
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    connect(session_.get(), &Session::stepOpened, this,
            [this](const QString&, int, const QString& text) { instructions_ = text; });
    window_ = std::make_unique<MainWindow>(session_.get());
    window_->resize(1500, 940);
    window_->show();
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QVERIFY(messageBar() && nextStep());
  }

  void aPassedStepLeadsOnAndItsBannerGoes() {
    QTRY_VERIFY_WITH_TIMEOUT(
        session_->labsAvailable() && session_->labs()->findLab(QStringLiteral("02")).isValid(),
        kTimeout);
    const QString lab =
        session_->labs()->findLab(QStringLiteral("02")).data(LabListModel::LabIdRole).toString();
    window_->openLabWhenReady(lab, 1);
    QTRY_VERIFY_WITH_TIMEOUT(session_->openLab() == lab && session_->openStepIndex() == 1,
                             kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(instructions_.startsWith(QLatin1String("# Lab 02")), kTimeout);
    QVERIFY(!messageBar()->isVisible());
    QVERIFY(!nextStep()->isVisible());

    // Not done yet: Check now does not pass it and offers nothing.
    session_->checkNow();
    QTest::qWait(0);
    QVERIFY(!nextStep()->isVisible());

    // The step's solution, typed as a learner would (the CLI on the same root), then Check now.
    int code = -1;
    QString solved = test::runBoxlab(
        root_.path(), {QStringLiteral("lab"), QStringLiteral("solve"), QStringLiteral("02"),
                       QStringLiteral("--step"), QStringLiteral("1")},
        &code);
    QVERIFY2(code == 0, qPrintable(solved));
    session_->checkNow();
    QTRY_VERIFY_WITH_TIMEOUT(nextStep()->isVisible(), kTimeout);
    QVERIFY(messageBar()->isVisible());
    // Its number and title, and the lab's, not its id.
    QVERIFY2(messageBar()->text().startsWith(QLatin1String("Step 1 (")),
             qPrintable(messageBar()->text()));
    QVERIFY2(messageBar()->text().contains(QLatin1String("of lab 02")),
             qPrintable(messageBar()->text()));
    QVERIFY(!messageBar()->text().contains(lab));

    // Next step: step 2 opens, and the "Well done" of step 1 does not come along.
    const QString step1 = instructions_;
    QTest::mouseClick(nextStep(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(session_->openStepIndex() == 2, kTimeout);
    QVERIFY2(!messageBar()->isVisible(), qPrintable(messageBar()->text()));
    QVERIFY(!nextStep()->isVisible());
    // The step's text comes with the engine's reply; the banner stays gone once it is there.
    QTRY_VERIFY_WITH_TIMEOUT(instructions_ != step1, kTimeout);
    QVERIFY2(!instructions_.contains(QLatin1String("## Step 1")), qPrintable(instructions_));
    QVERIFY2(!messageBar()->isVisible(), qPrintable(messageBar()->text()));
  }

  void cleanupTestCase() {
    if (!session_) return;
    QString lab =
        session_->labs()->findLab(QStringLiteral("02")).data(LabListModel::LabIdRole).toString();
    window_.reset();
    QString problem = test::endLabSession(session_, root_.path(), lab, kTimeout);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }
};

QTEST_MAIN(RootWindowTest)
#include "root_window_test.moc"
