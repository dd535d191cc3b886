#include "lab_list_model.hpp"

#include <QBrush>
#include <QColor>

namespace boxlab::gui {

namespace {
// lab.ls and lab.show carry "solvedBy": "solve" on a step `boxlab lab solve` did.
bool solvedBySolve(const QJsonObject& step) {
  return step.value(QLatin1String("solvedBy")).toString() == QLatin1String("solve");
}
}  // namespace

bool LabListModel::anySolved(const Lab& lab) {
  return std::any_of(lab.steps.begin(), lab.steps.end(),
                     [](const Step& s) { return s.solvedBySolve; });
}

QString LabListModel::stepPassedText(const QString& labId, int stepIndex) const {
  QModelIndex lab = findLab(labId);
  QModelIndex step = findStep(labId, stepIndex);
  if (!lab.isValid() || !step.isValid())
    return tr("Step %1 of lab %2 passed.").arg(stepIndex).arg(labId);
  const Lab& l = labs_[lab.row()];
  return tr("Step %1 (%2) of lab %3, %4, passed.")
      .arg(stepIndex)
      .arg(l.steps[step.row()].title, l.number, l.title);
}

int LabListModel::Lab::done() const {
  return int(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.passed; }));
}

LabListModel::LabListModel(QObject* parent) : QAbstractItemModel(parent) {}

void LabListModel::setLabs(const QJsonArray& labs) {
  QVector<Lab> fresh;
  for (const QJsonValue& v : labs) {
    QJsonObject o = v.toObject();
    Lab lab;
    lab.id = o.value(QLatin1String("id")).toString();
    if (lab.id.isEmpty()) continue;
    lab.number = o.value(QLatin1String("number")).toString();
    lab.title = o.value(QLatin1String("title")).toString();
    lab.summary = o.value(QLatin1String("summary")).toString();
    lab.minutes = o.value(QLatin1String("minutes")).toInt();
    lab.available = o.value(QLatin1String("available")).toBool(true);
    lab.unavailableReason = o.value(QLatin1String("unavailableReason")).toString();
    // Keep instructions already fetched for a lab that is listed again.
    const Lab* old = nullptr;
    for (const Lab& l : labs_)
      if (l.id == lab.id) old = &l;
    if (old) {
      lab.intro = old->intro;
      lab.instructor = old->instructor;
    }
    for (const QJsonValue& sv : o.value(QLatin1String("steps")).toArray()) {
      QJsonObject so = sv.toObject();
      Step step{so.value(QLatin1String("id")).toString(),
                so.value(QLatin1String("title")).toString(), QString(),
                so.value(QLatin1String("passed")).toBool(), solvedBySolve(so)};
      if (old)
        for (const Step& s : old->steps)
          if (s.id == step.id) step.instructions = s.instructions;
      lab.steps.push_back(step);
    }
    fresh.push_back(std::move(lab));
  }
  beginResetModel();
  labs_ = std::move(fresh);
  endResetModel();
}

void LabListModel::setLabDetail(const QJsonObject& o) {
  QModelIndex labIndex = findLab(o.value(QLatin1String("id")).toString());
  if (!labIndex.isValid()) return;
  Lab& lab = labs_[labIndex.row()];
  lab.intro = o.value(QLatin1String("intro")).toString();
  lab.instructor = o.value(QLatin1String("instructor")).toString();
  if (lab.summary.isEmpty()) lab.summary = o.value(QLatin1String("summary")).toString();
  QJsonArray steps = o.value(QLatin1String("steps")).toArray();
  if (steps.size() != lab.steps.size()) {
    // The step list changed under us: take lab.show's.
    if (!lab.steps.isEmpty()) {
      beginRemoveRows(labIndex, 0, int(lab.steps.size()) - 1);
      lab.steps.clear();
      endRemoveRows();
    }
    if (!steps.isEmpty()) {
      beginInsertRows(labIndex, 0, int(steps.size()) - 1);
      for (const QJsonValue& sv : steps) {
        QJsonObject so = sv.toObject();
        lab.steps.push_back({so.value(QLatin1String("id")).toString(),
                             so.value(QLatin1String("title")).toString(),
                             so.value(QLatin1String("instructions")).toString(),
                             so.value(QLatin1String("passed")).toBool(), solvedBySolve(so)});
      }
      endInsertRows();
    }
  } else {
    for (int i = 0; i < steps.size(); ++i) {
      QJsonObject so = steps[i].toObject();
      Step& s = lab.steps[i];
      s.id = so.value(QLatin1String("id")).toString(s.id);
      s.title = so.value(QLatin1String("title")).toString(s.title);
      s.instructions = so.value(QLatin1String("instructions")).toString();
      s.passed = so.value(QLatin1String("passed")).toBool(s.passed);
      s.solvedBySolve = solvedBySolve(so);
    }
    if (!lab.steps.isEmpty())
      emit dataChanged(index(0, 0, labIndex), index(int(lab.steps.size()) - 1, 0, labIndex));
  }
  emit dataChanged(labIndex, labIndex);
}

void LabListModel::applyLabStep(const LabStepEvent& e) {
  QModelIndex labIndex = findLab(e.lab);
  if (!labIndex.isValid()) return;
  Lab& lab = labs_[labIndex.row()];
  for (int i = 0; i < lab.steps.size(); ++i) {
    if (lab.steps[i].id != e.step) continue;
    if (lab.steps[i].passed == e.passed) return;
    lab.steps[i].passed = e.passed;
    QModelIndex stepIndex = index(i, 0, labIndex);
    emit dataChanged(stepIndex, stepIndex);
    emit dataChanged(labIndex, labIndex);
    return;
  }
}

QModelIndex LabListModel::findLab(const QString& ref) const {
  if (ref.isEmpty()) return {};
  for (int i = 0; i < labs_.size(); ++i) {
    const Lab& l = labs_[i];
    bool numeric = false;
    int n = ref.toInt(&numeric);
    if (l.id == ref || l.number == ref || (numeric && l.number.toInt() == n) ||
        l.id.section(QLatin1Char('-'), 1) == ref)
      return index(i, 0);
  }
  return {};
}

QModelIndex LabListModel::findStep(const QString& labId, int stepIndex) const {
  QModelIndex lab = findLab(labId);
  if (!lab.isValid() || stepIndex < 1 || stepIndex > labs_[lab.row()].steps.size()) return {};
  return index(stepIndex - 1, 0, lab);
}

QModelIndex LabListModel::index(int row, int column, const QModelIndex& parent) const {
  if (row < 0 || column != 0) return {};
  if (!parent.isValid())
    return row < labs_.size() ? createIndex(row, 0, quintptr(0)) : QModelIndex();
  if (parent.internalId() != 0 || parent.row() >= labs_.size()) return {};
  if (row >= labs_[parent.row()].steps.size()) return {};
  return createIndex(row, 0, quintptr(parent.row() + 1));
}

QModelIndex LabListModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == 0) return {};
  return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int LabListModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) return int(labs_.size());
  if (parent.internalId() != 0 || parent.column() != 0) return 0;
  return int(labs_[parent.row()].steps.size());
}

int LabListModel::columnCount(const QModelIndex&) const {
  return 1;
}

QVariant LabListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const bool isLab = index.internalId() == 0;
  const Lab& lab = labs_[isLab ? index.row() : int(index.internalId() - 1)];
  if (isLab) {
    switch (role) {
      case Qt::DisplayRole:
        return QStringLiteral("%1  %2   %3/%4%5")
            .arg(lab.number, lab.title)
            .arg(lab.done())
            .arg(lab.steps.size())
            .arg(anySolved(lab) ? tr("  (solved by solve)") : QString());
      case Qt::ToolTipRole:
        return lab.available
                   ? lab.summary
                   : tr("%1\nNot available here: %2").arg(lab.summary, lab.unavailableReason);
      case Qt::ForegroundRole:
        if (!lab.available) return QBrush(QColor(0x90, 0x90, 0x90));
        return {};
      case LabIdRole:
        return lab.id;
      case PassedRole:
        return !lab.steps.isEmpty() && lab.done() == lab.steps.size();
      case IsLabRole:
        return true;
      case AvailableRole:
        return lab.available;
      case DoneRole:
        return lab.done();
      case TotalRole:
        return int(lab.steps.size());
      case InstructionsRole:
        return lab.intro;
      case SummaryRole:
        return lab.summary;
      case TitleRole:
        return lab.title;
      case SolvedBySolveRole:
        return anySolved(lab);
      case InstructorRole:
        return lab.instructor;
    }
    return {};
  }
  const Step& step = lab.steps[index.row()];
  switch (role) {
    case Qt::DisplayRole:
      return QStringLiteral("%1 %2. %3%4")
          .arg(step.passed ? QStringLiteral("\u2714") : QStringLiteral("\u25cb"))
          .arg(index.row() + 1)
          .arg(step.title, step.solvedBySolve ? tr("  (solved by solve)") : QString());
    case Qt::ForegroundRole:
      // `lab solve` ran the answer: passed, but not by the learner's hand (grey, not green).
      if (step.solvedBySolve) return QBrush(QColor(0x80, 0x80, 0x80));
      if (step.passed) return QBrush(QColor(0x20, 0x9a, 0x40));
      return {};
    case Qt::ToolTipRole:
      if (step.solvedBySolve)
        return tr("solved by solve: `boxlab lab solve` ran this step's solution");
      return step.passed ? tr("passed") : tr("not passed yet");
    case TitleRole:
      return step.title;
    case SolvedBySolveRole:
      return step.solvedBySolve;
    case LabIdRole:
      return lab.id;
    case StepIdRole:
      return step.id;
    case StepIndexRole:
      return index.row() + 1;
    case PassedRole:
      return step.passed;
    case IsLabRole:
      return false;
    case AvailableRole:
      return lab.available;
    case InstructionsRole:
      return step.instructions;
  }
  return {};
}

}  // namespace boxlab::gui
