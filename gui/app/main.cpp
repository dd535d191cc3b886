// boxlab-gui: parse options, pick the engine, show the window.
#include <sys/prctl.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QProcess>
#include <QSettings>
#include <QTimer>

#include "engine.hpp"
#include "main_window.hpp"
#include "palette.hpp"
#include "screenshot_driver.hpp"
#include "session.hpp"

using namespace boxlab::gui;

int main(int argc, char** argv) {
  QElapsedTimer launch;
  launch.start();
  // The app holds a pipe to a root engine: other programs of the learner's account must not
  // ptrace it or reach its fds through /proc (a non-dumpable process's /proc files are root's).
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  QApplication::setHighDpiScaleFactorRoundingPolicy(
      Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("boxlab-gui"));
  QApplication::setOrganizationName(QStringLiteral("boxlab"));
  QApplication::setApplicationVersion(QStringLiteral(BOXLAB_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("boxlab-gui"));

  QCommandLineParser cli;
  cli.setApplicationDescription(
      QStringLiteral("boxlab's desktop app: labs on a real container engine"));
  cli.addHelpOption();
  cli.addVersionOption();
  QCommandLineOption root(QStringLiteral("root"),
                          QStringLiteral("State and images in DIR (boxlab --root)."),
                          QStringLiteral("DIR"));
  QCommandLineOption boxlab(
      QStringLiteral("boxlab"),
      QStringLiteral("The boxlab binary (default: BOXLAB_BIN, next to this one, or PATH)."),
      QStringLiteral("PATH"));
  QCommandLineOption lab(QStringLiteral("lab"),
                         QStringLiteral("Open this lab (number, slug or id)."),
                         QStringLiteral("LAB"));
  QCommandLineOption step(QStringLiteral("step"),
                          QStringLiteral("Open this step of --lab (1-based)."), QStringLiteral("N"),
                          QStringLiteral("1"));
  QCommandLineOption devEscalate(
      QStringLiteral("dev-escalate"),
      QStringLiteral("Run a development build's engine as root even though it is not root's "
                     "alone (for people who are root on this machine anyway; also "
                     "BOXLAB_DEV_ESCALATE=1)."));
  QCommandLineOption printEngine(
      QStringLiteral("print-engine"),
      QStringLiteral("Start the engine, print how it runs and the banner's notice, then quit."));
  QCommandLineOption sim(
      QStringLiteral("sim"),
      QStringLiteral("Run on boxlab's simulator (boxlab serve --sim): no root needed; "
                     "containers, processes and cgroups are simulated (also BOXLAB_BACKEND=sim)."));
  QCommandLineOption dark(QStringLiteral("dark"), QStringLiteral("Dark palette."));
  QCommandLineOption instructor(
      QStringLiteral("instructor"),
      QStringLiteral("Start with the instructor view on (View > Instructor notes)."));
  QCommandLineOption light(QStringLiteral("light"), QStringLiteral("Light palette."));
  QCommandLineOption shots(QStringLiteral("screenshot"),
                           QStringLiteral("Play --scene, save PNGs to DIR, quit."),
                           QStringLiteral("DIR"));
  QCommandLineOption scene(
      QStringLiteral("scene"),
      QStringLiteral("Screenshot scene: hog (default), network, security or idle."),
      QStringLiteral("NAME"), QStringLiteral("hog"));
  QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size WxH."),
                          QStringLiteral("WxH"));
  QCommandLineOption timing(
      QStringLiteral("print-startup-time"),
      QStringLiteral("Print ms from launch to the first window shown, then quit."));
  cli.addOptions({root, boxlab, lab, step, devEscalate, printEngine, dark, light, shots, scene,
                  size, timing, instructor, sim});
  cli.process(app);

  QSettings settings;
  const bool screenshot = cli.isSet(shots);
  if (screenshot) settings.clear();  // the same layout every time
  if (cli.isSet(instructor)) settings.setValue(QStringLiteral("view/instructor"), true);
  bool useDark = cli.isSet(dark) ||
                 (!cli.isSet(light) && settings.value(QStringLiteral("view/dark")).toBool());
  applyPalette(useDark);

  QString bin = cli.isSet(boxlab) ? cli.value(boxlab) : findBoxlab();
  bool escalateDev = cli.isSet(devEscalate) || qEnvironmentVariable("BOXLAB_DEV_ESCALATE") == "1";
  const bool simulator = cli.isSet(sim) || simulatorRequestedByEnvironment();
  auto* engine = new ServeProcess(
      planServeLaunch(currentLaunchEnvironment(bin, cli.value(root), escalateDev, simulator)));
  Session session(engine);
  if (cli.isSet(printEngine)) {
    // For tests and for "why is my app not root?": no window, the engine's answer only.
    QObject::connect(&session, &Session::engineReady, &app, [&] {
      std::printf("engine: %s\nnotice: %s\n", qPrintable(session.engineDescription()),
                  qPrintable(session.engineNotice()));
      std::fflush(stdout);
      QApplication::exit(0);
    });
    QObject::connect(&session, &Session::engineUnavailable, &app, [&](const QString& m) {
      std::printf("engine: unavailable\nnotice: %s\n", qPrintable(m));
      std::fflush(stdout);
      QApplication::exit(1);
    });
    session.start();
    int code = app.exec();
    session.stop();
    return code;
  }
  MainWindow window(&session);
  if (useDark) window.setDark(true);
  if (cli.isSet(size)) {
    QStringList wh = cli.value(size).split(QLatin1Char('x'));
    if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
  } else if (screenshot || !settings.contains(QStringLiteral("window/geometry"))) {
    window.resize(1500, 940);
  }
  QString labRef = cli.value(lab);
  // The learner's current lab: the one last opened, lab 1 the first time.
  if (labRef.isEmpty())
    labRef = settings.value(QStringLiteral("lab/current"), QStringLiteral("1")).toString();
  int stepIndex = cli.isSet(step) || cli.isSet(lab)
                      ? cli.value(step).toInt()
                      : settings.value(QStringLiteral("lab/step"), 1).toInt();
  if (!labRef.isEmpty()) window.openLabWhenReady(labRef, stepIndex);
  QObject::connect(&session, &Session::stepOpened, &app, [](const QString& labId, int index) {
    QSettings s;
    s.setValue(QStringLiteral("lab/current"), labId);
    s.setValue(QStringLiteral("lab/step"), index);
  });

  // The banner's offer of the simulator (an engine without root): the app starts again on it,
  // with the same options, the window and the open lab as they were (QSettings keeps them).
  QObject::connect(&window, &MainWindow::simulatorRequested, &app, [&] {
    QStringList args = QApplication::arguments().mid(1);
    args << QStringLiteral("--sim");
    window.close();
    session.stop();
    if (!QProcess::startDetached(QApplication::applicationFilePath(), args))
      std::fprintf(stderr, "boxlab-gui: could not start again on the simulator\n");
    QApplication::exit(0);
  });

  window.show();
  if (cli.isSet(timing)) {
    // The first frame is on screen once the event loop has painted it.
    QTimer::singleShot(0, &app, [&] {
      QApplication::processEvents();
      std::printf("first window: %.1f ms\n", double(launch.nsecsElapsed()) / 1e6);
      std::fflush(stdout);
      QApplication::exit(0);
    });
    return app.exec();
  }
  session.start();
  ScreenshotDriver* driver = nullptr;
  if (screenshot) {
    driver = new ScreenshotDriver(&session, &window, cli.value(shots), cli.value(scene), &app);
    driver->setBoxlab(bin, cli.value(root));
    driver->start();
  }
  int code = app.exec();
  session.stop();
  return code;
}
