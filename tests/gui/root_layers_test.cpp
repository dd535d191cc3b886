// The image layer view on the real engine (label root): a container started through the app's
// Session, a file written inside it, and the layer model asked where paths come from. The
// answers are checked against the host directories serve read from the container's overlay
// mount: the new file is in the upper dir, busybox in the image layer's lowerdir.
#include <unistd.h>

#include <QApplication>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "engine.hpp"
#include "layer_view.hpp"
#include "root_support.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 60000;
}

class RootLayersTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-layers-XXXXXX")};
  std::unique_ptr<Session> session_;
  QString name_ = QStringLiteral("layers-") + QString::number(QCoreApplication::applicationPid());

  QString runBoxlab(const QStringList& args) { return test::runBoxlab(root_.path(), args); }

  // Asks for `path` and waits for the stack that answers it (a copy: the next answer replaces
  // the model's).
  ImageLayersEvent ask(const QString& path) {
    LayerModel* model = session_->layers();
    session_->refreshLayers(path);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(model->hasStack() && model->stack().path == path, kTimeout); }();
    return model->stack();
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve and a container");
    QVERIFY(root_.isValid());
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    connect(session_.get(), &Session::message, this,
            [](const QString& m) { qInfo("engine: %s", qPrintable(m)); });
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
    QString problem = test::runSleeper(*session_, name_, kTimeout);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }

  void watchingAContainerShowsItsStack() {
    LayerModel* model = session_->layers();
    QTRY_VERIFY_WITH_TIMEOUT(model->hasStack(), kTimeout);
    QCOMPARE(model->stack().container, name_);
    QCOMPARE(model->stack().image, QStringLiteral("base"));
    QCOMPARE(model->rowCount(), 2);  // the upper dir over the base image's one layer
    QCOMPARE(model->index(0, 0).data(LayerModel::KindRole).toString(), QStringLiteral("upper"));
    // Directories from the overlay mount, and they exist on the host.
    for (int r = 0; r < 2; ++r) {
      QString dir = model->index(r, LayerModel::DirColumn).data().toString();
      QVERIFY2(!dir.isEmpty() && QFileInfo(dir).isDir(), qPrintable(dir));
    }
  }

  void aPathComesFromTheLayerThatHasIt() {
    bool done = false;
    int code = -1;
    session_->client()->request(
        QStringLiteral("exec"),
        {{QStringLiteral("name"), name_},
         {QStringLiteral("command"),
          QJsonArray{QStringLiteral("sh"), QStringLiteral("-c"),
                     QStringLiteral("mkdir -p /root && echo written-inside > /root/new")}}},
        [&](const ReplyEvent& r) {
          done = true;
          code = r.body.value(QStringLiteral("exitCode")).toInt(-1);
        });
    QTRY_VERIFY_WITH_TIMEOUT(done, kTimeout);
    QCOMPARE(code, 0);
    LayerModel* model = session_->layers();

    const ImageLayersEvent fresh = ask(QStringLiteral("/root/new"));
    const ImageLayer upper = fresh.layers.last();
    QCOMPARE(upper.kind, QStringLiteral("upper"));
    QCOMPARE(fresh.source.value_or(-1), upper.index);
    QVERIFY(model->index(0, 0).data(LayerModel::IsSourceRole).toBool());
    QFile inUpper(upper.dir + QStringLiteral("/root/new"));
    QVERIFY(inUpper.open(QIODevice::ReadOnly));
    QCOMPARE(inUpper.readAll(), QByteArray("written-inside\n"));

    const ImageLayersEvent bin = ask(QStringLiteral("/bin/busybox"));
    const ImageLayer bottom = bin.layers.first();
    QCOMPARE(bottom.kind, QStringLiteral("image"));
    QCOMPARE(bin.source.value_or(-1), bottom.index);
    QVERIFY(QFileInfo::exists(bottom.dir + QStringLiteral("/bin/busybox")));
    QVERIFY(!QFileInfo::exists(bin.layers.last().dir + QStringLiteral("/bin/busybox")));
    QVERIFY(model->index(1, 0).data(LayerModel::IsSourceRole).toBool());

    // The view says it in words, and /root lists `new` from the upper dir.
    LayerView view(model);
    const ImageLayersEvent dir = ask(QStringLiteral("/root"));
    QVERIFY(view.sourceText().contains(QStringLiteral("upper dir")));
    bool listed = false;
    for (const auto& e : dir.entries)
      listed = listed || (e.name == QLatin1String("new") && e.layer == upper.index);
    QString seen;
    for (const auto& e : dir.entries) seen += QStringLiteral("%1@%2 ").arg(e.name).arg(e.layer);
    QVERIFY2(listed, qPrintable(QStringLiteral("path %1 entries %2").arg(dir.path, seen)));

    const ImageLayersEvent none = ask(QStringLiteral("/no/such/path"));
    QVERIFY(!none.source.has_value());
  }

  void cleanupTestCase() {
    if (!session_) return;
    session_->stop();
    session_.reset();
    QString left = runBoxlab({QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("-q")});
    QVERIFY2(left.trimmed().isEmpty(), qPrintable(left));
  }
};

QTEST_MAIN(RootLayersTest)
#include "root_layers_test.moc"
