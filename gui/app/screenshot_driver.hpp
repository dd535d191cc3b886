// `boxlab-gui --screenshot DIR`: drives the real app through a scene and saves PNGs of the
// window and each pane, then quits (exit status 0 when the scene happened, 1 when it timed
// out: the PNGs are written either way, to show what went wrong). Scene "hog" (lab 6, opened
// with --lab 06): what a learner types in the host shell: lab06-box with a 32M limit (the app
// follows it by itself), a shell inside it in a second console tab, 20 MiB of tmpfs, then the
// hog and its exit status into the answers folder; the shots are taken once the OOM kill has
// reached the chart and the process tree and step 3 ("A hog meets the limit") turned green.
// lab06-box is removed afterwards. Scene "security": a default container (serve's run) and a
// --privileged one (the boxlab CLI: serve's run has no such flag), the namespaces pane shot
// with each watched (security-default.png, security-privileged.png, the second also as the
// usual panes); both are removed afterwards.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

namespace boxlab::gui {

class MainWindow;
class Session;

class ScreenshotDriver : public QObject {
  Q_OBJECT
 public:
  ScreenshotDriver(Session* session, MainWindow* window, QString dir, QString scene,
                   QObject* parent = nullptr);
  void start();
  // The boxlab binary and --root the engine runs with (scenes that use the CLI).
  void setBoxlab(const QString& bin, const QString& root) {
    boxlab_ = bin;
    root_ = root;
  }

 private:
  void step();
  void shoot(bool ok, const QString& why);
  void type(const QString& session, const QByteArray& text);
  void finish(bool ok, const QString& why);

  Session* session_;
  MainWindow* window_;
  void startNetworkScene();
  void startSecurityScene();
  bool securityShown(const QString& name);
  void savePane(const QString& dock, const QString& file);
  QString dir_, scene_, container_, containerShell_, boxlab_, root_;
  QStringList removeAtEnd_;  // containers serve did not start (the CLI's)
  QStringList networkContainers_;
  QTimer timer_;
  QElapsedTimer clock_;
  int stage_ = 0;
  qint64 stageAt_ = 0;
};

}  // namespace boxlab::gui
