// File > Import image on the real engine (label root): the dialog imports an image that
// boxlab itself made (a container's 24 MB file committed, exported as an OCI layout, tarred),
// its bar and text follow the image.progress events, the store's list shows the new image,
// and a truncated archive ends in a readable error naming the entry. PNGs of the dialog mid-
// import and after the failure go to build/screenshots.
#include <unistd.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include "import_dialog.hpp"
#include "import_progress.hpp"
#include "root_support.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 60000;

QString shots() {
  QString dir = QStringLiteral(BOXLAB_BINARY_DIR "/screenshots");
  QDir().mkpath(dir);
  return dir;
}

// The names the dialog lists.
QStringList listed(QTreeWidget* list) {
  QStringList out;
  for (int i = 0; i < list->topLevelItemCount(); ++i) out << list->topLevelItem(i)->text(0);
  return out;
}
}  // namespace

class RootImportTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-import-XXXXXX")};
  std::unique_ptr<Session> session_;
  QString archive_;
  QString container_ =
      QStringLiteral("import-") + QString::number(QCoreApplication::applicationPid());

  QString boxlab(const QStringList& args) {
    int code = -1;
    QString out = test::runBoxlab(root_.path(), args, &code);
    if (code != 0)
      qWarning("boxlab %s: %s", qPrintable(args.join(QLatin1Char(' '))), qPrintable(out));
    return out;
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and a container");
    QVERIFY(root_.isValid());
    QVERIFY(boxlab({QStringLiteral("image"), QStringLiteral("build-base")})
                .startsWith(QStringLiteral("sha256:")));
    // An image with a layer big enough for many progress steps, made by boxlab itself.
    boxlab({QStringLiteral("run"), QStringLiteral("--name"), container_, QStringLiteral("base"),
            QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
            QStringLiteral("head -c 24000000 /dev/urandom > /big")});
    boxlab({QStringLiteral("commit"), container_, QStringLiteral("big")});
    boxlab({QStringLiteral("rm"), QStringLiteral("-f"), container_});
    QString layout = root_.filePath(QStringLiteral("layout"));
    boxlab({QStringLiteral("image"), QStringLiteral("export"), QStringLiteral("big"), layout});
    archive_ = root_.filePath(QStringLiteral("big.tar"));
    QCOMPARE(QProcess::execute(QStringLiteral("tar"),
                               {QStringLiteral("-C"), layout, QStringLiteral("-cf"), archive_,
                                QStringLiteral(".")}),
             0);
    QVERIFY(QFileInfo(archive_).size() > 24000000);
    session_ = test::makeRootSession(root_.path());
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
  }

  void importShowsProgressThenTheImage() {
    ImportDialog dialog(session_.get());
    dialog.resize(640, 420);
    dialog.show();
    QTRY_VERIFY_WITH_TIMEOUT(listed(dialog.imageList()).contains(QStringLiteral("big")), kTimeout);
    QVERIFY(!listed(dialog.imageList()).contains(QStringLiteral("gui-big")));
    // Mid-way (connected after the dialog's own update): what the learner sees then.
    int midPercent = -1, midBar = -1;
    QString midText;
    connect(dialog.progress(), &ImportProgress::changed, &dialog, [&] {
      int p = dialog.progress()->percent();
      if (midPercent >= 0 || p < 40 || p >= 90) return;
      midPercent = p;
      midBar = dialog.progressBar()->value();
      midText = dialog.statusText();
      QVERIFY(dialog.grab().save(shots() + QStringLiteral("/import-progress.png")));
    });
    QSignalSpy imported(&dialog, &ImportDialog::imported);
    QSignalSpy refreshed(&dialog, &ImportDialog::imagesRefreshed);
    dialog.start(archive_, QStringLiteral("gui-big"));
    QVERIFY(dialog.running());
    QTRY_COMPARE_WITH_TIMEOUT(imported.count(), 1, kTimeout);
    QVERIFY2(midPercent >= 40, "no progress event came mid-way");
    QCOMPARE(midBar, midPercent);
    QVERIFY2(midText.contains(QStringLiteral("MB of ")), qPrintable(midText));
    QVERIFY2(midText.contains(QStringLiteral("big.tar")), qPrintable(midText));
    QString digest = imported.at(0).at(1).toString();
    QCOMPARE(imported.at(0).at(0).toString(), QStringLiteral("gui-big"));
    QVERIFY(boxlab({QStringLiteral("image"), QStringLiteral("inspect"), QStringLiteral("gui-big")})
                .contains(digest));
    QCOMPARE(dialog.progressBar()->value(), 100);
    QVERIFY2(dialog.statusText().startsWith(QStringLiteral("Imported gui-big: sha256:")),
             qPrintable(dialog.statusText()));
    QVERIFY(dialog.statusText().contains(QStringLiteral("2 layers")));
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 1, kTimeout);
    QVERIFY(listed(dialog.imageList()).contains(QStringLiteral("gui-big")));
    QVERIFY(!dialog.running());
    QVERIFY(dialog.grab().save(shots() + QStringLiteral("/import-done.png")));
  }

  void aTruncatedArchiveShowsTheError() {
    QString cut = root_.filePath(QStringLiteral("cut.tar"));
    QFile in(archive_);
    QVERIFY(in.open(QIODevice::ReadOnly));
    QFile out(cut);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(in.read(in.size() / 2));
    out.close();
    ImportDialog dialog(session_.get());
    dialog.resize(640, 420);
    dialog.show();
    QSignalSpy finished(dialog.progress(), &ImportProgress::finished);
    dialog.start(cut, QStringLiteral("gui-cut"));
    QTRY_VERIFY_WITH_TIMEOUT(
        !dialog.running() && dialog.statusText().contains(QStringLiteral("import ")), kTimeout);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QVERIFY2(dialog.statusText().startsWith(QStringLiteral("Import failed:\nimport ") + cut),
             qPrintable(dialog.statusText()));
    QVERIFY2(dialog.statusText().contains(QStringLiteral("entry '")),
             qPrintable(dialog.statusText()));
    QCOMPARE(dialog.progressBar()->value(), 0);
    QCOMPARE(dialog.progressBar()->format(), QStringLiteral("failed"));
    QVERIFY(dialog.grab().save(shots() + QStringLiteral("/import-failed.png")));
    int code = 0;
    test::runBoxlab(root_.path(),
                    {QStringLiteral("image"), QStringLiteral("inspect"), QStringLiteral("gui-cut")},
                    &code);
    QVERIFY(code != 0);
    QVERIFY(QDir(root_.filePath(QStringLiteral("images/tmp"))).isEmpty());
  }

  void cleanupTestCase() {
    if (session_) session_->stop();
  }
};

QTEST_MAIN(RootImportTest)
#include "root_import_test.moc"
