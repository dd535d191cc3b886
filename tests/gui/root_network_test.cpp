// The network view on the real engine (label root). The test moves itself into a network
// namespace it created (so serve's bridge, veths and containers all live there; the machine's
// own namespace is never touched), starts two containers on the default bridge through the
// app's Session, and checks the network model against `ip -j addr` run in each namespace (the
// test's own, and each container's through nsenter); then one container goes and the picture
// follows.
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <cstring>

#include "engine.hpp"
#include "network_view.hpp"
#include "root_support.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
constexpr int kTimeout = 60000;

quint64 inodeOf(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

// What `ip -j addr` says about one namespace: interface -> "up|master|mac|addr,addr".
QMap<QString, QString> ipView(const QStringList& prefix) {
  QProcess p;
  QStringList args = prefix;
  QString program = args.takeFirst();
  p.start(program, args + QStringList{QStringLiteral("-j"), QStringLiteral("addr")});
  if (!p.waitForFinished(30000) || p.exitCode() != 0) return {};
  QMap<QString, QString> out;
  for (const QJsonValue& v : QJsonDocument::fromJson(p.readAllStandardOutput()).array()) {
    QJsonObject o = v.toObject();
    bool up = o.value(QStringLiteral("flags")).toArray().contains(QStringLiteral("UP"));
    QStringList addrs;
    for (const QJsonValue& a : o.value(QStringLiteral("addr_info")).toArray()) {
      QJsonObject ai = a.toObject();
      if (ai.value(QStringLiteral("family")).toString() == QLatin1String("inet"))
        addrs << QStringLiteral("%1/%2")
                     .arg(ai.value(QStringLiteral("local")).toString())
                     .arg(ai.value(QStringLiteral("prefixlen")).toInt());
    }
    out.insert(
        o.value(QStringLiteral("ifname")).toString(),
        QStringLiteral("%1|%2|%3|%4")
            .arg(up ? QStringLiteral("up") : QStringLiteral("down"),
                 o.value(QStringLiteral("master")).toString(),
                 o.value(QStringLiteral("address")).toString(), addrs.join(QLatin1Char(','))));
  }
  return out;
}

// The same, from the network model's picture of one namespace.
QMap<QString, QString> modelView(const NetworkModel* model, const QString& ns) {
  QMap<QString, QString> out;
  const NetNamespace* n = model->findNamespace(ns);
  if (!n) return out;
  for (const auto& i : n->interfaces)
    out.insert(i.name, QStringLiteral("%1|%2|%3|%4")
                           .arg(i.up ? QStringLiteral("up") : QStringLiteral("down"), i.master,
                                i.mac, i.addresses.join(QLatin1Char(','))));
  return out;
}

QString show(const QMap<QString, QString>& m) {
  QStringList s;
  for (auto it = m.begin(); it != m.end(); ++it) s << it.key() + QLatin1Char('=') + it.value();
  return s.join(QStringLiteral("; "));
}
}  // namespace

class RootNetworkTest : public QObject {
  Q_OBJECT
  QTemporaryDir root_{QStringLiteral("/tmp/boxlab-gui-net-XXXXXX")};
  std::unique_ptr<Session> session_;
  QString suffix_ = QString::number(QCoreApplication::applicationPid() % 100000);

  QString runBoxlab(const QStringList& args) { return test::runBoxlab(root_.path(), args); }

  void run(const QString& name) {
    bool replied = false;
    session_->runContainer(
        {{QStringLiteral("image"), QStringLiteral("base")},
         {QStringLiteral("name"), name},
         {QStringLiteral("net"), QStringLiteral("bridge")},
         {QStringLiteral("command"), QJsonArray{QStringLiteral("sleep"), QStringLiteral("1000")}}},
        [&](const ReplyEvent& r) {
          replied = true;
          QVERIFY2(r.ok, qPrintable(r.error));
        });
    QTRY_VERIFY_WITH_TIMEOUT(replied, kTimeout);
  }

  qint64 pidOf(const QString& name) const {
    const NetNamespace* n = session_->network()->findNamespace(name);
    return n ? n->pid : 0;
  }

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("needs root: starts boxlab serve, containers and a network");
    // Our own network namespace with lo up; everything after this (serve, its bridge and
    // veths, the containers) lives in it.
    QCOMPARE(::unshare(CLONE_NEWNET), 0);
    QVERIFY(inodeOf("/proc/self/ns/net") != inodeOf("/proc/1/ns/net"));
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    QVERIFY(s >= 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    QCOMPARE(::ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    QCOMPARE(::ioctl(s, SIOCSIFFLAGS, &ifr), 0);
    ::close(s);
    qunsetenv("BOXLAB_NET_NS");
    QVERIFY(root_.isValid());
    QString out;
    QVERIFY2(test::prepareRoot(root_.path(), &out), qPrintable(out));
    session_ = test::makeRootSession(root_.path());
    connect(session_.get(), &Session::message, this,
            [](const QString& m) { qInfo("engine: %s", qPrintable(m)); });
    session_->start();
    QTRY_VERIFY_WITH_TIMEOUT(session_->isEngineReady(), kTimeout);
  }

  void thePictureComesOnItsOwn() {
    NetworkModel* model = session_->network();
    QTRY_VERIFY_WITH_TIMEOUT(model->hasTopology(), kTimeout);
    QCOMPARE(model->topology().hostInode, inodeOf("/proc/self/ns/net"));
    QCOMPARE(modelView(model, QStringLiteral("host")), ipView({QStringLiteral("ip")}));
  }

  void twoContainersMatchIpInEachNamespace() {
    NetworkModel* model = session_->network();
    QString a = QStringLiteral("net-a-") + suffix_, b = QStringLiteral("net-b-") + suffix_;
    run(a);
    run(b);
    // Both namespaces with eth0 and an address, without asking: serve streams the changes.
    auto eth0Addressed = [&](const QString& name) {
      const NetNamespace* n = model->findNamespace(name);
      if (!n) return false;
      for (const auto& i : n->interfaces)
        if (i.name == QLatin1String("eth0") && i.up && !i.addresses.isEmpty()) return true;
      return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(eth0Addressed(a) && eth0Addressed(b), kTimeout);
    QCOMPARE(model->topology().vethPairs.size(), 2);
    QCOMPARE(model->topology().bridges.size(), 1);
    QCOMPARE(model->topology().bridges[0].ports.size(), 2);
    // The kernel agrees, namespace by namespace: the test's own (bridge, both host veth ends),
    // and each container's (lo, eth0 with its address).
    for (const QString& name : {a, b}) {
      qint64 pid = pidOf(name);
      QVERIFY(pid > 0);
      auto ip = ipView({QStringLiteral("nsenter"), QStringLiteral("-t"), QString::number(pid),
                        QStringLiteral("-n"), QStringLiteral("ip")});
      QVERIFY(ip.contains(QStringLiteral("eth0")));
      QCOMPARE(show(modelView(model, name)), show(ip));
      // The veth peer of eth0 is a host end on boxlab0, and ip on the host side says so.
      QModelIndex ns = model->indexOfNamespace(name);
      QString peer;
      for (int r = 0; r < model->rowCount(ns); ++r)
        if (model->index(r, 0, ns).data(NetworkModel::InterfaceRole) == QLatin1String("eth0"))
          peer = model->index(r, 0, ns).data(NetworkModel::PeerRole).toString();
      QVERIFY(peer.startsWith(QStringLiteral("host/veth")));
      QVERIFY(
          ipView({QStringLiteral("ip")}).value(peer.mid(5)).contains(QStringLiteral("|boxlab0|")));
    }
    QTRY_COMPARE_WITH_TIMEOUT(show(modelView(model, QStringLiteral("host"))),
                              show(ipView({QStringLiteral("ip")})), kTimeout);
    // The two addresses differ and both are in the bridge's subnet.
    QString addrA = model->findNamespace(a)->interfaces.last().addresses.value(0);
    QString addrB = model->findNamespace(b)->interfaces.last().addresses.value(0);
    QVERIFY(addrA != addrB);
    // The diagram draws both containers.
    NetworkDiagram diagram(model);
    diagram.resize(diagram.sizeHint());
    diagram.grab();
    QVERIFY(diagram.drawnContainers().contains(a));
    QVERIFY(diagram.drawnContainers().contains(b));
  }

  void aContainerGoesAndThePictureFollows() {
    NetworkModel* model = session_->network();
    QString b = QStringLiteral("net-b-") + suffix_;
    int before = model->updates();
    bool removed = false;
    session_->client()->request(QStringLiteral("rm"),
                                {{QStringLiteral("name"), b}, {QStringLiteral("force"), true}},
                                [&](const ReplyEvent& r) { removed = r.ok; });
    QTRY_VERIFY_WITH_TIMEOUT(removed, kTimeout);
    QTRY_VERIFY_WITH_TIMEOUT(!model->findNamespace(b), kTimeout);
    QVERIFY(model->updates() > before);
    QCOMPARE(model->topology().vethPairs.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(show(modelView(model, QStringLiteral("host"))),
                              show(ipView({QStringLiteral("ip")})), kTimeout);
  }

  void cleanupTestCase() {
    if (!session_) return;
    session_->stop();  // EOF: serve removes the containers it started
    session_.reset();
    QString left = runBoxlab({QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("-q")});
    QVERIFY2(left.trimmed().isEmpty(), qPrintable(left));
  }
};

QTEST_MAIN(RootNetworkTest)
#include "root_network_test.moc"
