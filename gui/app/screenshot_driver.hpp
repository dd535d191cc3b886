// `boxlab-gui --screenshot DIR`: drives the real app through a scene and saves PNGs of the
// window and each pane, then quits (exit status 0 when the scene happened, 1 when it timed
// out: the PNGs are written either way, to show what went wrong). Scene "hog" (lab 6's memory
// step): a container with a 32M limit and a shell on a tty; the console types a memory hog;
// the shots are taken once the OOM kill has reached the chart and the process tree.
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

 private:
  void step();
  void shoot(bool ok, const QString& why);
  void type(const QByteArray& text);

  Session* session_;
  MainWindow* window_;
  void startNetworkScene();
  QString dir_, scene_, container_;
  QStringList networkContainers_;
  QTimer timer_;
  QElapsedTimer clock_;
  int stage_ = 0;
  qint64 stageAt_ = 0;
};

}  // namespace boxlab::gui
