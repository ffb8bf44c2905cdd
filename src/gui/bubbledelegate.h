// SPDX-License-Identifier: MIT
#pragma once

#include <QColor>
#include <QPersistentModelIndex>
#include <QStyledItemDelegate>

class QAbstractItemView;

namespace voxtrack::gui {

/// Draws the rows of a QListView as chat bubbles: the user's on the right, the agent's on the
/// left, system messages centred and muted, each role in its own colour (derived from the
/// palette, so dark themes work) under a small label, with the local time and an optional detail
/// line under the bubble. A role outside the allowed set (a buggy server's "assistant") is drawn
/// in the error colour with the role as stored, and its tooltip says what is wrong.
///
/// It reads models::MessagesModel's roles (RoleRole, RoleNameRole, ContentRole, CreatedAtRole,
/// NewRole) plus the two of its own below; any model providing them can be shown. Rows are
/// word-wrapped to the view's width: use it in a QListView with wordWrap on and uniform item
/// sizes off, which lays the rows out again when it is resized.
///
/// A row with an AudioUrlRole gets a round play control at the start of its bubble: clicking it
/// emits playClicked(); the row set with setPlaying() shows ■ and a progress line instead.
class BubbleDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    enum Role {
        DetailRole = Qt::UserRole + 64, ///< QString: a line under the time ("reply in 812 ms"); empty: none
        ErrorRole, ///< bool: the row is an error report (drawn centred in the error colour), not a message
    };

    /// The kinds of bubble, as a row's roles make it.
    enum class Kind { User, Agent, System, InvalidRole, Error };

    explicit BubbleDelegate(QObject* parent = nullptr);

    /// The label over the user's bubbles: "User" unless set ("You" in a chat of one's own).
    void setUserLabel(const QString& label) { m_userLabel = label; }
    [[nodiscard]] QString userLabel() const { return m_userLabel; }

    [[nodiscard]] static Kind kindOf(const QModelIndex& index);
    /// The small label over a row's bubble: the user label, "Agent", "System", "Error", or an
    /// invalid role as it is stored.
    [[nodiscard]] QString label(const QModelIndex& index) const;
    /// The bubble's fill for a kind of row on this palette.
    [[nodiscard]] static QColor bubbleColor(Kind kind, const QPalette& palette);
    /// The colour of the label (and of a system row's text) for a kind of row on this palette.
    [[nodiscard]] static QColor labelColor(Kind kind, const QPalette& palette);
    /// What is wrong with a row's role (empty when it is allowed): the tooltip of its bubble.
    [[nodiscard]] static QString roleProblem(const QModelIndex& index);

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    [[nodiscard]] QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    bool helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
        const QModelIndex& index) override;
    bool editorEvent(QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option,
        const QModelIndex& index) override;

    /// Whether a row has audio to play (a non-empty AudioUrlRole), and so a play control.
    [[nodiscard]] static bool hasAudio(const QModelIndex& index);
    /// Where index's play control is in view's viewport (empty for a row without audio).
    [[nodiscard]] QRect playButtonRect(const QAbstractItemView* view, const QModelIndex& index) const;

    /// The row being played: its control shows ■ and its bubble a progress line (progress from 0
    /// to 1; below 0: not known yet). An invalid index: none. The views are not repainted: the
    /// owner updates the rows it changed.
    void setPlaying(const QModelIndex& index, double progress = -1);
    [[nodiscard]] QModelIndex playingIndex() const { return m_playing; }
    [[nodiscard]] double playingProgress() const { return m_progress; }
    /// Whether the play controls can be used; when not, they are drawn disabled and their tooltip
    /// is reason.
    void setPlaybackEnabled(bool enabled, const QString& reason = {});
    [[nodiscard]] bool isPlaybackEnabled() const { return m_playbackEnabled; }

Q_SIGNALS:
    /// The play control of index was clicked (while enabled): play it, or stop it when it is the
    /// playing row.
    void playClicked(const QModelIndex& index);

private:
    struct Layout;
    [[nodiscard]] Layout layout(const QStyleOptionViewItem& option, const QModelIndex& index) const;
    void paintPlayControl(
        QPainter* painter, const Layout& bubble, const QModelIndex& index, const QPalette& palette) const;

    QString m_userLabel;
    QPersistentModelIndex m_playing;
    double m_progress = -1;
    bool m_playbackEnabled = true;
    QString m_disabledReason;
};

} // namespace voxtrack::gui
