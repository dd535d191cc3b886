// File > Import image: a `docker save` tarball or an OCI layout directory (serve
// `image.import`), or an image from a registry (`image.pull`: a reference, an optional mirror
// for short names, plain HTTP for a registry on this machine), into the engine's store, with a
// progress bar and a line of bytes and layers fed by the `image.progress` events, the engine's
// error in one line when it fails, and the store's images (`image.ls`) listed and refreshed
// once an image is in.
#pragma once

#include <QDialog>

class QCheckBox;
class QFormLayout;
class QLabel;
class QRadioButton;
class QLineEdit;
class QTreeWidget;
class QProgressBar;
class QPushButton;

namespace boxlab::gui {

class ImportProgress;
class Session;
struct ReplyEvent;

class ImportDialog : public QDialog {
  Q_OBJECT
 public:
  // Talks to the engine through the session only.
  explicit ImportDialog(Session* session, QWidget* parent = nullptr);

  enum class Mode { file, registry };

  // Fills the fields and imports (what the Import button does).
  void start(const QString& source, const QString& name = {}, bool keepSetuid = false);
  // Registry mode, the fields filled, and pulls (what the Pull button does).
  void pull(const QString& ref, const QString& name = {}, bool insecure = false,
            const QString& mirror = {});
  bool running() const;
  Mode mode() const { return mode_; }
  void setMode(Mode mode);

  ImportProgress* progress() const { return progress_; }
  QString statusText() const;
  QProgressBar* progressBar() const { return bar_; }
  QTreeWidget* imageList() const { return images_; }

 public slots:
  // Asks the engine for its images (`image.ls`) and lists them.
  void refreshImages();

 signals:
  void imported(const QString& name, const QString& digest);
  void imagesRefreshed();

 private:
  void importNow();
  void pullNow();
  void go();  // the Import/Pull button: what the mode says
  void onReply(const ReplyEvent& r, Mode mode);
  void chooseArchive();
  void chooseLayout();
  void showProgress();
  void setBusy(bool busy);

  Session* session_;
  ImportProgress* progress_;
  Mode mode_ = Mode::file;
  Mode shown_ = Mode::file;  // what the status line is about: the last import or pull
  QFormLayout* form_;
  QRadioButton* fromFile_;
  QRadioButton* fromRegistry_;
  QWidget* sourceRow_;
  QLineEdit* ref_;
  QLineEdit* mirror_;
  QCheckBox* insecure_;
  QLabel* credentials_;
  QLineEdit* source_;
  QLineEdit* name_;
  QCheckBox* keepSetuid_;
  QProgressBar* bar_;
  QLabel* status_;
  QTreeWidget* images_;
  QPushButton* import_;
  QPushButton* archive_;
  QPushButton* layout_;
  QString result_;  // what the last reply said, shown under the bar
  bool failed_ = false;
};

}  // namespace boxlab::gui
