// The main window: lab navigator and instructions, the console on a real pty session, the
// process tree, resource charts, namespaces and mounts, and the open step's checks, as dock
// widgets whose layout is remembered. Talks to nothing but the Session.
#pragma once

#include <QJsonObject>
#include <QMainWindow>

class QComboBox;
class QDockWidget;
class QLabel;
class QPushButton;
class QTextBrowser;
class QToolButton;

namespace boxlab::gui {

class Session;
class ConsoleTabs;
class TerminalWidget;
class LabNavigator;
class ChecksPanel;
class ProcessTreeView;
class ResourceCharts;
class FleetView;
class NamespaceView;
class NetworkView;
class LayerView;
class CgroupView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(Session* session, QWidget* parent = nullptr);

  // The console tab in front (nullptr before the first session) and its session ("" when
  // none or ended).
  TerminalWidget* terminal() const;
  QString terminalSession() const;
  ConsoleTabs* consoles() const { return consoles_; }
  NamespaceView* namespaceView() const { return namespaces_; }
  // Opens a lab (and step) once the lab list is known; "" leaves it to the user.
  void openLabWhenReady(const QString& labRef, int step);
  QList<QDockWidget*> docks() const { return docks_; }
  QDockWidget* dock(const QString& objectName) const;
  void setDark(bool dark);
  // The instructor view: the open lab's INSTRUCTOR.md in a pane of its own (off by default).
  bool instructorView() const;
  QString instructorText() const;
  // Attaches the console to a pty session that serve already opened (run/exec with tty).
  void attachTerminal(const QString& session, const QString& container);
  // What the New container dialog asks for (`args`: run's fields, with tty): the container runs
  // and its terminal opens in a tab.
  void runInTerminal(const QJsonObject& args);
  // The "SIMULATED" badge beside the container bar: shown while the engine is the simulator.
  bool simulatedBadgeShown() const;
  // The banner's text as shown (rich text), and whether it is on screen.
  QString bannerText() const;

 signals:
  // The learner took the banner's offer of the simulator (the engine runs without root).
  void simulatorRequested();

 public slots:
  void openShell();
  void openHostShell();
  void newContainer();
  void importImage();
  void about();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  QDockWidget* addDock(const QString& title, const QString& objectName, QWidget* widget,
                       Qt::DockWidgetArea area);
  void buildMenus();
  void showMessage(const QString& text, bool error);
  void clearMessage();
  void openNextStep();  // the open lab's next step, when there is one
  void refreshContainerList();
  void openPendingLab();  // openLabWhenReady's lab, once the labs are listed
  void onStepOpened(const QString& labId, int stepIndex, const QString& instructions);
  void focusNextPane();
  void setInstructorView(bool on);
  void updateInstructorNotes();
  void setSimulated(bool on);
  // The engine's notice, with the offer of the simulator when the engine makes one.
  QString noticeWithOffer() const;
  static QString simulatorOffer();

  Session* session_;
  QLabel* banner_;
  QLabel* simBadge_ = nullptr;
  QLabel* messageBar_;
  QToolButton* messageClose_;
  QPushButton* nextStep_;
  bool messageIsError_ = false;
  QComboBox* containers_;
  ConsoleTabs* consoles_;
  LabNavigator* navigator_;
  ChecksPanel* checks_;
  ProcessTreeView* processes_;
  ResourceCharts* charts_;
  FleetView* fleet_;
  NamespaceView* namespaces_;
  NetworkView* network_;
  LayerView* layers_;
  CgroupView* cgroup_;
  QList<QDockWidget*> docks_;
  QDockWidget* instructorDock_ = nullptr;
  QTextBrowser* instructorNotes_ = nullptr;
  QString pendingLab_;
  int pendingStep_ = 0;
  bool dark_ = false;
};

}  // namespace boxlab::gui
