// The app's state without widgets: one engine client, the models it feeds, and the actions
// the views ask for (watch a container, open a terminal, open a lab step, check, hint). Every
// failure ends in message(): nothing fails silently.
#pragma once

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

#include "cgroup_files_model.hpp"
#include "check_model.hpp"
#include "engine_client.hpp"
#include "lab_list_model.hpp"
#include "layer_model.hpp"
#include "mount_model.hpp"
#include "namespace_model.hpp"
#include "network_model.hpp"
#include "process_tree_model.hpp"
#include "resource_series.hpp"
#include "security_model.hpp"

namespace boxlab::gui {

class Session : public QObject {
  Q_OBJECT
 public:
  struct ContainerInfo {
    QString name, status, image, namespaces;
    qint64 pid = 0;
    bool owned = false;
    QString created;  // RFC 3339 (ps `created`): the charts count time from it
  };

  // Takes ownership of the engine.
  explicit Session(Engine* engine, QObject* parent = nullptr);
  ~Session() override;

  void start();
  void stop();

  EngineClient* client() { return &client_; }
  LabListModel* labs() { return &labs_; }
  CheckModel* checks() { return &checks_; }
  ProcessTreeModel* processes() { return &processes_; }
  ResourceSeries* resources() { return &resources_; }
  NamespaceModel* namespaces() { return &namespaces_; }
  SecurityModel* security() { return &security_; }
  MountModel* mounts() { return &mounts_; }
  NetworkModel* network() { return &network_; }
  LayerModel* layers() { return &layers_; }
  CgroupFilesModel* cgroupFiles() { return &cgroupFiles_; }

  bool isEngineReady() const { return client_.isReady(); }
  QString engineDescription() const;
  // What the learner must know about how the engine runs (Engine::notice); empty if nothing.
  QString engineNotice() const;
  bool labsAvailable() const { return labsAvailable_; }
  QString labsUnavailableReason() const { return labsReason_; }
  const QVector<ContainerInfo>& containers() const { return containers_; }
  QString watched() const { return watched_; }

  // Containers: list (also polled every few seconds), watch one (monitor + its mounts).
  void refreshContainers();
  void watch(const QString& name, double rateHz = 10);
  // Starts a container (serve `run`), then watches it. `args` as in docs/events.md.
  void runContainer(const QJsonObject& args, std::function<void(const ReplyEvent&)> done = {});
  // A terminal: `exec` with tty in a running container; done gets the session id (or "").
  void openTerminal(const QString& container, const QStringList& command,
                    std::function<void(const QString& session)> done);
  // The host shell (serve `host.shell`): the learner's terminal on this computer, where the
  // labs' boxlab commands are typed. Opened by itself once a lab step is open (in the lab's
  // answers folder); hostShellOpened() says when. Again after it ended: call this.
  void openHostShell(int rows = 24, int cols = 80);
  QString hostShellSession() const { return hostShell_; }
  // The engine said the host shell is root's (host.shell's `root`).
  bool hostShellIsRoot() const { return hostShellRoot_; }
  // On the simulator: the host shell's commands that are the simulator's (host.shell's
  // `simulated`); empty on the real engine.
  QStringList hostShellSimulated() const { return hostShellSimulated_; }
  void sendInput(const QString& session, const QByteArray& bytes);
  void resizeTerminal(const QString& session, int rows, int cols);
  void refreshMounts();
  // The watched container's layer stack (image.layers), and where `path` comes from ("" none).
  void refreshLayers(const QString& path = QString());
  QString layersPath() const { return layersPath_; }
  // Whose layers the Image layers tab shows: while a lab is open and one of its containers
  // exists, that one (the last of the lab's list that runs, else the first that exists: lab 08
  // is about lab08-box's image, then lab08-new's), whatever is watched; else the watched one.
  QString layersContainer() const { return layersContainer_; }
  static QString pickLayersContainer(const QStringList& labContainers,
                                     const QVector<ContainerInfo>& containers,
                                     const QString& watched);
  // The network picture once (net.topology); serve streams changes after the first one.
  void refreshNetwork();
  // The watched container's cgroup files and values (inspect's `cgroupFiles`), read from
  // outside: no process in the container.
  void refreshCgroupFiles();

  // Labs (LAB-PROTOCOL): list, open a step (live checks), check now, next hint.
  void refreshLabs();
  void openStep(const QString& labId, int stepIndex);
  void checkNow();
  void nextHint();
  QString openLab() const { return openLab_; }
  // The open lab's folder and the learner's answers folder (from lab.show; empty before).
  QString openLabDir() const { return openLabDir_; }
  QString openLabAnswers() const { return openLabAnswers_; }
  int openStepIndex() const { return openStep_; }
  // The open lab's containers (lab.show `containers`) and their name prefix. While a lab is
  // open, a lab container that starts running is watched by itself (monitor on), and so is
  // one running when nothing running is watched.
  QStringList labContainers() const { return labContainers_; }
  bool isLabContainer(const QString& name) const;
  // Stops the open step's live checks in the engine (lab.close); the step stays shown here.
  void closeLab();

  // Images: import one into the engine's store (image.import; its progress comes as
  // imageProgress()), list the store (image.ls). False when this engine has no such command
  // (done is not called); else done gets the reply.
  bool canImportImages() const;
  bool importImage(const QString& source, const QString& name, bool keepSetuid,
                   std::function<void(const ReplyEvent&)> done);
  bool listImages(std::function<void(const ReplyEvent&)> done);
  // Pull one from a registry (image.pull; progress as imageProgress() with the reference as
  // its source; the reply is shaped like image.import's). Empty name/mirror: not sent.
  bool canPullImages() const;
  bool pullImage(const QString& ref, const QString& name, bool insecure, const QString& mirror,
                 std::function<void(const ReplyEvent&)> done);
  static QString importCommand();  // "image.import", for messages
  static QString pullCommand();    // "image.pull"
  // Readable text for a failed image.import, image.pull or image.ls reply.
  static QString describeImportFailure(const ReplyEvent& reply);
  static QString describePullFailure(const ReplyEvent& reply);
  static QString describeImageListFailure(const ReplyEvent& reply);
  // The Markdown shown when a lab opens at step `stepIndex` (1-based): the lab's introduction
  // first, then the step's heading and instructions (lab.show's `lab` object).
  static QString withIntroduction(const QJsonObject& lab, int stepIndex);

 signals:
  void engineReady(const QJsonObject& hello);
  void engineUnavailable(const QString& message);
  void message(const QString& text);  // an error or warning for the user
  void containersChanged();
  void watchedChanged(const QString& name);
  void labsChanged();
  void stepOpened(const QString& labId, int stepIndex, const QString& instructions);
  void hintRevealed(const QString& markdown, int index, int total);
  // From lab.show when a step opens: hints revealed earlier, and how many there are.
  void hintsKnown(int shown, int total);
  void stepPassed(const QString& labId, int stepIndex);
  void consoleOutput(const QString& session, const QByteArray& data);
  void consoleClosed(const QString& session, int exitCode);
  void hostShellOpened(const QString& session, const QString& cwd);
  void imageProgress(const boxlab::gui::ImageProgressEvent& e);

 private:
  void refreshMountsInside();  // `cat /proc/self/mountinfo` in the container (old engines)
  void onContainerState(const ContainerStateEvent& e);
  void applyLabStep(const LabStepEvent& e);
  void failed(const QString& cmd, const ReplyEvent& r);
  void followLabContainers();
  void tellChartsWhenStarted();  // the watched container's `created`, when ps said it

  EngineClient client_;
  LabListModel labs_;
  CheckModel checks_;
  ProcessTreeModel processes_;
  ResourceSeries resources_;
  NamespaceModel namespaces_;
  SecurityModel security_;
  MountModel mounts_;
  NetworkModel network_;
  LayerModel layers_;
  CgroupFilesModel cgroupFiles_;
  QString layersPath_;
  QString layersContainer_;
  void followLayers();  // layersContainer() changed: ask for its stack
  QVector<ContainerInfo> containers_;
  QString watched_;
  QTimer poll_;
  bool labsAvailable_ = false;
  QString labsReason_;
  QString openLab_;
  QString openLabDir_, openLabAnswers_;
  int openStep_ = 0;
  QStringList labContainers_;
  QString labPrefix_;
  QSet<QString> labRunning_;  // lab containers seen running (a new one is followed)
  QString hostShell_;
  bool hostShellRoot_ = false;
  QStringList hostShellSimulated_;
  bool hostShellPending_ = false;
};

}  // namespace boxlab::gui
