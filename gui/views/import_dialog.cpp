#include "import_dialog.hpp"

#include <QCheckBox>
#include <QColor>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPalette>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalBlocker>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "import_progress.hpp"
#include "session.hpp"

namespace boxlab::gui {

ImportDialog::ImportDialog(Session* session, QWidget* parent)
    : QDialog(parent), session_(session), progress_(new ImportProgress(this)) {
  setWindowTitle(tr("Import image"));
  setMinimumWidth(560);
  auto* layout = new QVBoxLayout(this);
  auto* form = form_ = new QFormLayout;
  auto* fromRow = new QHBoxLayout;
  fromFile_ = new QRadioButton(tr("a &file or folder"), this);
  fromRegistry_ = new QRadioButton(tr("a re&gistry"), this);
  fromFile_->setChecked(true);
  fromRow->addWidget(fromFile_);
  fromRow->addWidget(fromRegistry_);
  fromRow->addStretch(1);
  form->addRow(tr("From"), fromRow);

  auto* sourceRow = new QHBoxLayout;
  source_ = new QLineEdit(this);
  source_->setPlaceholderText(tr("a docker save .tar or an OCI layout folder"));
  archive_ = new QPushButton(tr("&Archive\u2026"), this);
  archive_->setToolTip(tr("Choose a `docker save` tarball (.tar or .tar.gz)"));
  layout_ = new QPushButton(tr("&Layout folder\u2026"), this);
  layout_->setToolTip(tr("Choose an OCI image layout directory (it holds index.json)"));
  sourceRow->addWidget(source_, 1);
  sourceRow->addWidget(archive_);
  sourceRow->addWidget(layout_);
  auto* sourceLabel = new QLabel(tr("&Source"), this);
  sourceLabel->setBuddy(source_);  // a row of widgets: the label needs its buddy named
  sourceRow_ = new QWidget(this);
  sourceRow->setContentsMargins(0, 0, 0, 0);
  sourceRow_->setLayout(sourceRow);
  form->addRow(sourceLabel, sourceRow_);

  // From a registry: what `boxlab image pull` takes.
  ref_ = new QLineEdit(this);
  ref_->setPlaceholderText(tr("localhost:5000/course/base, alpine:3.19, host/repo@sha256:\u2026"));
  ref_->setToolTip(
      tr("An image reference. A name without a registry host (alpine) is looked "
         "up on the mirror below, or on Docker Hub."));
  form->addRow(tr("&Reference"), ref_);
  mirror_ = new QLineEdit(this);
  mirror_->setPlaceholderText(tr("optional: the class registry short names resolve through"));
  mirror_->setToolTip(tr("HOST[:PORT], e.g. 10.0.0.5:5000 (boxlab --mirror)"));
  mirror_->setText(QSettings().value(QStringLiteral("registry/mirror")).toString());
  if (mirror_->text().isEmpty())
    mirror_->setText(QString::fromLocal8Bit(qgetenv("BOXLAB_REGISTRY_MIRROR")));
  form->addRow(tr("&Mirror"), mirror_);
  insecure_ =
      new QCheckBox(tr("Plain &HTTP (--insecure): only for a registry on this machine"), this);
  insecure_->setToolTip(tr("localhost, 127.0.0.1 or [::1]; any other registry needs HTTPS"));
  form->addRow(QString(), insecure_);

  name_ = new QLineEdit(this);
  name_->setPlaceholderText(tr("optional: the tag the source carries"));
  form->addRow(tr("&Name"), name_);
  keepSetuid_ = new QCheckBox(tr("&Keep setuid/setgid bits (cleared by default)"), this);
  form->addRow(QString(), keepSetuid_);
  credentials_ = new QLabel(tr("A registry that asks for a login gets the one for its host in your "
                               "~/.docker/config.json (as docker login writes it)."),
                            this);
  credentials_->setWordWrap(true);
  credentials_->setForegroundRole(QPalette::PlaceholderText);
  form->addRow(QString(), credentials_);
  layout->addLayout(form);

  bar_ = new QProgressBar(this);
  bar_->setRange(0, 100);
  bar_->setValue(0);
  bar_->setTextVisible(true);
  layout->addWidget(bar_);
  status_ = new QLabel(tr("Choose what to import."), this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);

  auto* listLabel = new QLabel(tr("Images in the store:"), this);
  images_ = new QTreeWidget(this);
  images_->setAccessibleName(tr("Images in the store"));
  images_->setHeaderLabels({tr("Name"), tr("Digest"), tr("Layers"), tr("Size")});
  images_->setRootIsDecorated(false);
  images_->header()->setStretchLastSection(false);
  images_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  images_->setMinimumHeight(90);
  listLabel->setBuddy(images_);
  layout->addWidget(listLabel);
  layout->addWidget(images_, 1);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  import_ = buttons->addButton(tr("&Import"), QDialogButtonBox::AcceptRole);
  import_->setDefault(true);
  layout->addWidget(buttons);

  connect(archive_, &QPushButton::clicked, this, &ImportDialog::chooseArchive);
  connect(layout_, &QPushButton::clicked, this, &ImportDialog::chooseLayout);
  connect(import_, &QPushButton::clicked, this, &ImportDialog::go);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(source_, &QLineEdit::returnPressed, this, &ImportDialog::importNow);
  connect(ref_, &QLineEdit::returnPressed, this, &ImportDialog::pullNow);
  connect(fromRegistry_, &QRadioButton::toggled, this,
          [this](bool on) { setMode(on ? Mode::registry : Mode::file); });
  // The session passes the stream's events on as they come, in order with replies.
  connect(session_, &Session::imageProgress, progress_, &ImportProgress::onEvent);
  connect(progress_, &ImportProgress::changed, this, &ImportDialog::showProgress);
  setMode(Mode::file);
  refreshImages();
}

void ImportDialog::setMode(Mode mode) {
  mode_ = mode;
  QSignalBlocker block(fromRegistry_);
  fromRegistry_->setChecked(mode == Mode::registry);
  fromFile_->setChecked(mode == Mode::file);
  bool registry = mode == Mode::registry;
  form_->setRowVisible(sourceRow_, !registry);
  form_->setRowVisible(keepSetuid_, !registry);
  for (QWidget* w : {static_cast<QWidget*>(ref_), static_cast<QWidget*>(mirror_),
                     static_cast<QWidget*>(insecure_), static_cast<QWidget*>(credentials_)})
    form_->setRowVisible(w, registry);
  name_->setPlaceholderText(registry ? tr("optional: default is the reference")
                                     : tr("optional: the tag the source carries"));
  import_->setText(registry ? tr("&Pull") : tr("&Import"));
  if (!running() && result_.isEmpty())
    status_->setText(registry ? tr("Type an image reference to pull.")
                              : tr("Choose what to import."));
  (registry ? static_cast<QWidget*>(ref_) : static_cast<QWidget*>(source_))->setFocus();
}

void ImportDialog::go() {
  if (mode_ == Mode::registry)
    pullNow();
  else
    importNow();
}

bool ImportDialog::running() const {
  return progress_->state() == ImportProgress::State::running;
}

QString ImportDialog::statusText() const {
  return status_->text();
}

void ImportDialog::chooseArchive() {
  QString file =
      QFileDialog::getOpenFileName(this, tr("Import a docker save archive"), QDir::homePath(),
                                   tr("Image archives (*.tar *.tar.gz *.tgz);;All files (*)"));
  if (!file.isEmpty()) source_->setText(file);
}

void ImportDialog::chooseLayout() {
  QString dir =
      QFileDialog::getExistingDirectory(this, tr("Import an OCI image layout"), QDir::homePath());
  if (!dir.isEmpty()) source_->setText(dir);
}

void ImportDialog::start(const QString& source, const QString& name, bool keepSetuid) {
  source_->setText(source);
  name_->setText(name);
  keepSetuid_->setChecked(keepSetuid);
  importNow();
}

void ImportDialog::pull(const QString& ref, const QString& name, bool insecure,
                        const QString& mirror) {
  setMode(Mode::registry);
  ref_->setText(ref);
  name_->setText(name);
  insecure_->setChecked(insecure);
  mirror_->setText(mirror);
  pullNow();
}

void ImportDialog::setBusy(bool busy) {
  for (QWidget* w :
       {static_cast<QWidget*>(source_), static_cast<QWidget*>(name_),
        static_cast<QWidget*>(keepSetuid_), static_cast<QWidget*>(archive_),
        static_cast<QWidget*>(layout_), static_cast<QWidget*>(import_), static_cast<QWidget*>(ref_),
        static_cast<QWidget*>(mirror_), static_cast<QWidget*>(insecure_),
        static_cast<QWidget*>(fromFile_), static_cast<QWidget*>(fromRegistry_)})
    w->setEnabled(!busy);
}

void ImportDialog::pullNow() {
  if (running()) return;
  shown_ = Mode::registry;
  QString ref = ref_->text().trimmed();
  result_.clear();
  failed_ = false;
  if (ref.isEmpty()) {
    failed_ = true;
    result_ = tr("Type an image reference first, e.g. localhost:5000/course/base.");
    return showProgress();
  }
  if (!session_->canPullImages()) {
    failed_ = true;
    result_ = session_->isEngineReady()
                  ? tr("This engine cannot pull images (it has no %1).").arg(Session::pullCommand())
                  : tr("The engine is not running.");
    return showProgress();
  }
  progress_->begin(ref);  // image.pull's progress events name the reference as sent
  setBusy(true);
  QPointer<ImportDialog> self(this);
  session_->pullImage(ref, name_->text().trimmed(), insecure_->isChecked(),
                      mirror_->text().trimmed(), [self](const ReplyEvent& r) {
                        if (self) self->onReply(r, Mode::registry);
                      });
  showProgress();
}

void ImportDialog::onReply(const ReplyEvent& r, Mode mode) {
  failed_ = !r.ok;
  if (r.ok) {
    QString name = r.body.value(QLatin1String("name")).toString();
    QString digest = r.body.value(QLatin1String("digest")).toString();
    int layers = r.body.value(QLatin1String("layers")).toInt();
    result_ =
        (mode == Mode::registry ? tr("Pulled %1: %2, %3 %4, %5") : tr("Imported %1: %2, %3 %4, %5"))
            .arg(name, digest.left(19) + QStringLiteral("\u2026"))
            .arg(layers)
            .arg(layers == 1 ? tr("layer") : tr("layers"))
            .arg(ImportProgress::size(
                static_cast<qint64>(r.body.value(QLatin1String("size")).toDouble())));
    if (mode == Mode::registry && !mirror_->text().trimmed().isEmpty())
      QSettings().setValue(QStringLiteral("registry/mirror"), mirror_->text().trimmed());
    progress_->finish({});
    refreshImages();
    emit imported(name, digest);
  } else if (r.code == QLatin1String("failed")) {
    // A failed import's or pull's error already says where (source, entry, registry).
    result_ = r.error;
    progress_->finish(result_);
  } else if (mode == Mode::registry && r.code == QLatin1String("bad_request")) {
    // "image.pull: field 'ref': image reference 'X': why": the learner typed X, not a field.
    static const QRegularExpression field(QStringLiteral("^image\\.pull: field '\\w+': "));
    result_ = QString(r.error).remove(field);
    progress_->finish(result_);
  } else {
    result_ = mode == Mode::registry ? Session::describePullFailure(r)
                                     : Session::describeImportFailure(r);
    progress_->finish(result_);
  }
  setBusy(false);
  showProgress();
}

void ImportDialog::importNow() {
  if (running()) return;
  shown_ = Mode::file;
  QString source = source_->text().trimmed();
  result_.clear();
  failed_ = false;
  if (source.isEmpty()) {
    failed_ = true;
    result_ = tr("Choose an archive or a layout folder first.");
    return showProgress();
  }
  if (!session_->canImportImages()) {
    failed_ = true;
    result_ =
        session_->isEngineReady()
            ? tr("This engine cannot import images (it has no %1).").arg(Session::importCommand())
            : tr("The engine is not running.");
    return showProgress();
  }
  // serve takes absolute paths only: its working directory is not ours.
  source = QFileInfo(source).absoluteFilePath();
  progress_->begin(source);
  setBusy(true);
  QPointer<ImportDialog> self(this);
  session_->importImage(source, name_->text().trimmed(), keepSetuid_->isChecked(),
                        [self](const ReplyEvent& r) {
                          if (self) self->onReply(r, Mode::file);
                        });
  showProgress();
}

void ImportDialog::showProgress() {
  const ImportProgress& p = *progress_;
  int percent = p.percent();
  if (p.state() == ImportProgress::State::running && percent < 0) {
    bar_->setRange(0, 0);  // busy: a layout folder's size is known only at the end
  } else {
    bar_->setRange(0, 100);
    bar_->setValue(std::max(percent, 0));
  }
  QString text;
  bool pulling = shown_ == Mode::registry;  // what the last import or pull was
  if (p.state() == ImportProgress::State::running) {
    // Before the first blob: the manifest is on its way (or the registry does not answer).
    bool waiting = p.bytesDone() == 0 && !p.bytesTotal();
    text = pulling ? tr("Pulling %1\n%2")
                         .arg(p.source(), waiting ? tr("asking the registry\u2026") : p.summary())
                   : tr("Importing %1\n%2").arg(QFileInfo(p.source()).fileName(), p.summary());
  } else if (!result_.isEmpty()) {
    text = !failed_  ? result_
           : pulling ? tr("Pull failed:\n%1").arg(result_)
                     : tr("Import failed:\n%1").arg(result_);
  } else if (p.state() == ImportProgress::State::failed) {
    // The reply is on its way.
    text =
        pulling ? tr("Pull failed:\n%1").arg(p.error()) : tr("Import failed:\n%1").arg(p.error());
  } else {
    text = status_->text();
  }
  status_->setText(text);
  QPalette pal = palette();
  if (failed_) pal.setColor(QPalette::WindowText, QColor(0xb0, 0x20, 0x20));
  status_->setPalette(pal);
  bar_->setFormat(failed_ ? tr("failed") : QStringLiteral("%p%"));
  if (failed_) bar_->setValue(0);
}

void ImportDialog::refreshImages() {
  QPointer<ImportDialog> self(this);
  session_->listImages([self](const ReplyEvent& r) {
    if (!self) return;
    self->images_->clear();
    if (!r.ok) {
      self->images_->addTopLevelItem(
          new QTreeWidgetItem(QStringList{Session::describeImageListFailure(r)}));
    } else {
      for (const auto& v : r.body.value(QLatin1String("images")).toArray()) {
        QJsonObject img = v.toObject();
        QString digest = img.value(QLatin1String("digest")).toString();
        auto* item = new QTreeWidgetItem(QStringList{
            img.value(QLatin1String("name")).toString(), digest.left(19) + QStringLiteral("\u2026"),
            QString::number(img.value(QLatin1String("layers")).toInt()),
            ImportProgress::size(
                static_cast<qint64>(img.value(QLatin1String("size")).toDouble()))});
        item->setToolTip(1, digest);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(3, Qt::AlignRight | Qt::AlignVCenter);
        self->images_->addTopLevelItem(item);
      }
      for (int c = 1; c < self->images_->columnCount(); ++c)
        self->images_->resizeColumnToContents(c);
    }
    emit self->imagesRefreshed();
  });
}

}  // namespace boxlab::gui
