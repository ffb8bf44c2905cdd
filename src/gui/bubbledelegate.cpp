// SPDX-License-Identifier: MIT
#include "gui/bubbledelegate.h"

#include "core/role.h"
#include "gui/severitystyle.h"
#include "models/messagesmodel.h"

#include <QAbstractItemView>
#include <QDateTime>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTextLayout>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace voxtrack::gui {

using models::MessagesModel;

namespace {

constexpr int sideMargin = 14; ///< between the view's edges and the bubbles
constexpr int rowGap = 5; ///< above and below each row
constexpr int paddingX = 12; ///< inside a bubble
constexpr int paddingY = 7;
constexpr int radius = 12;
constexpr int labelGap = 2; ///< label → bubble
constexpr int underGap = 2; ///< bubble → time
constexpr int minBubbleWidth = 56;
constexpr int buttonSize = 22; ///< the round play control at the start of a bubble with audio
constexpr int buttonGap = 8; ///< play control → text
constexpr int progressHeight = 2; ///< the line along the bottom of the bubble being played

QColor mix(const QColor& a, const QColor& b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t), float(a.greenF() * (1 - t) + b.greenF() * t),
        float(a.blueF() * (1 - t) + b.blueF() * t));
}

bool isDark(const QPalette& palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor errorColor(const QPalette& palette)
{
    return severityColor(store::CheckResult::Status::Failed, store::Severity::Error, palette);
}

/// The agent's accent: the palette's highlight turned towards green, so that the two sides of a
/// conversation differ in hue whatever the theme.
QColor agentAccent(const QPalette& palette)
{
    const QColor highlight = palette.color(QPalette::Highlight);
    float hue = 0, saturation = 0, lightness = 0, alpha = 0;
    highlight.getHslF(&hue, &saturation, &lightness, &alpha);
    if (hue < 0)
        hue = 0.58f; // a grey highlight: start from blue
    hue = std::fmod(hue - 60.0f / 360.0f + 1.0f, 1.0f);
    return QColor::fromHslF(hue, std::max(saturation, 0.45f), std::clamp(lightness, 0.35f, 0.6f));
}

QFont smallerFont(const QFont& font)
{
    QFont small = font;
    if (font.pointSizeF() > 0)
        small.setPointSizeF(font.pointSizeF() * 0.85);
    else
        small.setPixelSize(std::max(8, int(font.pixelSize() * 0.85)));
    return small;
}

/// The width the rows are laid out for: the view's viewport, so that size hints and painting agree.
int rowWidth(const QStyleOptionViewItem& option)
{
    if (const auto* view = qobject_cast<const QAbstractItemView*>(option.widget))
        return std::max(120, view->viewport()->width());
    return std::max(120, option.rect.width());
}

/// Lays text out in lines of at most width pixels (words wrap; a word longer than a line breaks).
QSizeF wrapText(QTextLayout& layout, qreal width, Qt::Alignment alignment)
{
    QTextOption textOption(alignment);
    textOption.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(textOption);
    layout.beginLayout();
    qreal y = 0;
    qreal widest = 0;
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        line.setPosition(QPointF(0, y));
        y += line.height();
        widest = std::max(widest, line.naturalTextWidth());
    }
    layout.endLayout();
    return {widest, y};
}

QString bubbleText(const QModelIndex& index)
{
    QString text = index.data(MessagesModel::ContentRole).toString();
    text.replace(u'\n', QChar::LineSeparator);
    return text;
}

} // namespace

struct BubbleDelegate::Layout {
    Kind kind = Kind::Agent;
    int width = 0;
    int height = 0;
    Qt::Alignment side = Qt::AlignLeft;
    QFont textFont;
    QFont smallFont;
    QFont labelFont;
    QString label;
    QRect labelRect;
    QRect bubbleRect;
    QRectF textRect;
    QString text;
    qreal textWidth = 0;
    QString time;
    QRect timeRect;
    QString detail;
    QRect detailRect;
    QRect buttonRect; ///< empty: no audio
};

BubbleDelegate::BubbleDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
    , m_userLabel(tr("User"))
{
}

BubbleDelegate::Kind BubbleDelegate::kindOf(const QModelIndex& index)
{
    if (index.data(ErrorRole).toBool())
        return Kind::Error;
    bool known = false;
    const int role = index.data(MessagesModel::RoleRole).toInt(&known);
    if (!known || role < 0)
        return Kind::InvalidRole;
    switch (voxtrack::Role(role)) {
    case voxtrack::Role::User:
        return Kind::User;
    case voxtrack::Role::Agent:
        return Kind::Agent;
    case voxtrack::Role::System:
        return Kind::System;
    }
    return Kind::InvalidRole;
}

QString BubbleDelegate::label(const QModelIndex& index) const
{
    switch (kindOf(index)) {
    case Kind::User:
        return m_userLabel;
    case Kind::Agent:
        return tr("Agent");
    case Kind::System:
        return tr("System");
    case Kind::Error:
        return tr("Error");
    case Kind::InvalidRole:
        break;
    }
    const QString stored = index.data(MessagesModel::RoleNameRole).toString();
    return stored.isEmpty() ? tr("(no role)") : stored;
}

QColor BubbleDelegate::bubbleColor(Kind kind, const QPalette& palette)
{
    const QColor base = palette.color(QPalette::Base);
    const bool dark = isDark(palette);
    switch (kind) {
    case Kind::User:
        return mix(base, palette.color(QPalette::Highlight), dark ? 0.42 : 0.2);
    case Kind::Agent:
        return mix(base, agentAccent(palette), dark ? 0.3 : 0.13);
    case Kind::System:
        return mix(base, palette.color(QPalette::Text), dark ? 0.07 : 0.04);
    case Kind::InvalidRole:
    case Kind::Error:
        return mix(base, errorColor(palette), dark ? 0.28 : 0.12);
    }
    return base;
}

QColor BubbleDelegate::labelColor(Kind kind, const QPalette& palette)
{
    const QColor text = palette.color(QPalette::Text);
    const bool dark = isDark(palette);
    switch (kind) {
    case Kind::User:
        return dark ? mix(palette.color(QPalette::Highlight), text, 0.45)
                    : palette.color(QPalette::Highlight).darker(115);
    case Kind::Agent:
        return dark ? mix(agentAccent(palette), text, 0.4) : agentAccent(palette).darker(135);
    case Kind::System:
        return mix(text, palette.color(QPalette::Base), 0.45);
    case Kind::InvalidRole:
    case Kind::Error:
        return errorColor(palette);
    }
    return text;
}

QString BubbleDelegate::roleProblem(const QModelIndex& index)
{
    if (kindOf(index) != Kind::InvalidRole)
        return {};
    const QString stored = index.data(MessagesModel::RoleNameRole).toString();
    if (stored.compare(QStringLiteral("assistant"), Qt::CaseInsensitive) == 0)
        return tr("The database does not allow the role \"%1\": the agent's role is \"agent\".").arg(stored);
    return tr("The database does not allow the role \"%1\": the allowed roles are %2.")
        .arg(stored, roleNames().join(QStringLiteral(", ")));
}

BubbleDelegate::Layout BubbleDelegate::layout(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    Layout out;
    out.kind = kindOf(index);
    out.width = rowWidth(option);
    out.textFont = option.font;
    out.smallFont = smallerFont(option.font);
    out.labelFont = out.smallFont;
    out.labelFont.setWeight(QFont::DemiBold);
    if (out.kind == Kind::System)
        out.textFont.setItalic(true);

    const bool centred = out.kind == Kind::System || out.kind == Kind::Error;
    out.side = out.kind == Kind::User ? Qt::AlignRight : centred ? Qt::AlignHCenter : Qt::AlignLeft;

    const int inner = out.width - 2 * sideMargin;
    const int maxBubble = std::clamp(int(out.width * (centred ? 0.8 : 0.72)), std::min(inner, 260), inner);
    const int button = hasAudio(index) ? buttonSize + buttonGap : 0;
    out.text = bubbleText(index);
    QTextLayout text(out.text, out.textFont);
    out.textWidth = std::max(40, maxBubble - 2 * paddingX - button);
    const QSizeF textSize = wrapText(text, out.textWidth, centred ? Qt::AlignHCenter : Qt::AlignLeft);
    const int bubbleWidth
        = std::clamp(int(std::ceil(textSize.width())) + 2 * paddingX + button, minBubbleWidth, maxBubble);
    int bubbleHeight = int(std::ceil(textSize.height())) + 2 * paddingY;
    // A bubble with audio keeps room under its text for the progress track.
    const int trackRoom = button > 0 ? progressHeight + 2 : 0;
    if (button > 0)
        bubbleHeight = std::max(bubbleHeight, buttonSize + 2 * (paddingY - 2)) + trackRoom;

    const QFontMetrics small(out.smallFont);
    const QFontMetrics labelMetrics(out.labelFont);
    int y = rowGap;
    out.label = label(index);
    out.labelRect = QRect(sideMargin, y, inner, labelMetrics.height());
    y += labelMetrics.height() + labelGap;

    const int x = out.side == Qt::AlignRight ? out.width - sideMargin - bubbleWidth
        : out.side == Qt::AlignLeft          ? sideMargin
                                             : (out.width - bubbleWidth) / 2;
    out.bubbleRect = QRect(x, y, bubbleWidth, bubbleHeight);
    if (button > 0) {
        // Level with the first line of text (centred in a bubble of one line).
        const int firstLine = std::min(bubbleHeight - trackRoom, 2 * paddingY + QFontMetrics(out.textFont).height());
        out.buttonRect = QRect(x + paddingX - 4, y + std::max(3, (firstLine - buttonSize) / 2), buttonSize, buttonSize);
    }
    // The text is laid out as wide as the bubble allows: centre it in the bubble it got.
    const qreal textLeft = centred ? x + button + (bubbleWidth - button - out.textWidth) / 2.0 : x + paddingX + button;
    const qreal textTop = y + (bubbleHeight - trackRoom - textSize.height()) / 2.0;
    out.textRect = QRectF(textLeft, textTop, out.textWidth, textSize.height());
    y += bubbleHeight + underGap;

    const QDateTime createdAt = index.data(MessagesModel::CreatedAtRole).toDateTime();
    if (createdAt.isValid()) {
        out.time = createdAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
        out.timeRect = QRect(sideMargin, y, inner, small.height());
        y += small.height();
    }
    out.detail = index.data(DetailRole).toString();
    if (!out.detail.isEmpty()) {
        out.detailRect = QRect(sideMargin, y, inner, small.height());
        y += small.height();
    }
    out.height = y + rowGap;
    return out;
}

QSize BubbleDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const Layout bubble = layout(opt, index);
    return {bubble.width, bubble.height};
}

void BubbleDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const Layout bubble = layout(opt, index);
    const QPalette& palette = opt.palette;
    const QColor muted = mix(palette.color(QPalette::Text), palette.color(QPalette::Base), 0.45);

    painter->save();
    painter->translate(opt.rect.topLeft());
    painter->setRenderHint(QPainter::Antialiasing);

    // The bubble, outlined when selected (copy targets it) or when it arrived live.
    QPainterPath path;
    path.addRoundedRect(QRectF(bubble.bubbleRect).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius);
    QPen outline(Qt::NoPen);
    if (opt.state & QStyle::State_Selected)
        outline = QPen(palette.color(QPalette::Highlight), 2);
    else if (bubble.kind == Kind::InvalidRole || bubble.kind == Kind::Error)
        outline = QPen(errorColor(palette), 1);
    else if (index.data(MessagesModel::NewRole).toBool())
        outline = QPen(labelColor(bubble.kind, palette), 1);
    painter->setPen(outline);
    painter->setBrush(bubbleColor(bubble.kind, palette));
    painter->drawPath(path);

    // The label over the bubble, the time and the detail under it, on the bubble's side.
    const Qt::Alignment align = bubble.side | Qt::AlignVCenter;
    painter->setFont(bubble.labelFont);
    painter->setPen(labelColor(bubble.kind, palette));
    painter->drawText(bubble.labelRect, align,
        QFontMetrics(bubble.labelFont).elidedText(bubble.label, Qt::ElideRight, bubble.labelRect.width()));
    painter->setFont(bubble.smallFont);
    painter->setPen(muted);
    const QFontMetrics small(bubble.smallFont);
    if (!bubble.time.isEmpty())
        painter->drawText(bubble.timeRect, align, bubble.time);
    if (!bubble.detail.isEmpty()) {
        painter->drawText(
            bubble.detailRect, align, small.elidedText(bubble.detail, Qt::ElideRight, bubble.detailRect.width()));
    }

    if (!bubble.buttonRect.isEmpty()) {
        painter->save();
        painter->setClipPath(path);
        paintPlayControl(painter, bubble, index, palette);
        painter->restore();
    }

    // The text, laid out again exactly as for the size.
    const bool centred = bubble.kind == Kind::System || bubble.kind == Kind::Error;
    QTextLayout text(bubble.text, bubble.textFont);
    wrapText(text, bubble.textWidth, centred ? Qt::AlignHCenter : Qt::AlignLeft);
    painter->setPen(bubble.kind == Kind::System ? muted : palette.color(QPalette::Text));
    text.draw(painter, bubble.textRect.topLeft());
    painter->restore();
}

void BubbleDelegate::paintPlayControl(
    QPainter* painter, const Layout& bubble, const QModelIndex& index, const QPalette& palette) const
{
    const bool playing = m_playing.isValid() && m_playing == index;
    const QColor accent = m_playbackEnabled ? labelColor(bubble.kind, palette)
                                            : mix(palette.color(QPalette::Text), palette.color(QPalette::Base), 0.6);
    const QRectF button = QRectF(bubble.buttonRect).adjusted(0.5, 0.5, -0.5, -0.5);
    painter->setPen(Qt::NoPen);
    painter->setBrush(accent);
    painter->drawEllipse(button);

    const QColor glyph = bubbleColor(bubble.kind, palette);
    painter->setBrush(glyph);
    const QPointF centre = button.center();
    const qreal unit = button.width() / 22.0;
    if (playing) {
        painter->drawRect(QRectF(centre.x() - 4 * unit, centre.y() - 4 * unit, 8 * unit, 8 * unit));
    } else {
        const QPointF triangle[] = {QPointF(centre.x() - 3 * unit, centre.y() - 5.5 * unit),
            QPointF(centre.x() + 6 * unit, centre.y()), QPointF(centre.x() - 3 * unit, centre.y() + 5.5 * unit)};
        painter->drawPolygon(triangle, 3);
    }

    // The progress of the row being played: a thin track under the text.
    if (playing && m_progress >= 0) {
        const qreal left = bubble.buttonRect.right() + buttonGap;
        const QRectF track(left, bubble.bubbleRect.bottom() - 3.0 - progressHeight,
            bubble.bubbleRect.right() - paddingX - left, progressHeight);
        painter->setBrush(mix(glyph, accent, 0.25));
        painter->drawRoundedRect(track, progressHeight / 2.0, progressHeight / 2.0);
        painter->setBrush(accent);
        painter->drawRoundedRect(
            QRectF(track.topLeft(), QSizeF(track.width() * std::clamp(m_progress, 0.0, 1.0), track.height())),
            progressHeight / 2.0, progressHeight / 2.0);
    }
}

bool BubbleDelegate::hasAudio(const QModelIndex& index)
{
    return !index.data(MessagesModel::AudioUrlRole).toString().isEmpty();
}

QRect BubbleDelegate::playButtonRect(const QAbstractItemView* view, const QModelIndex& index) const
{
    if (!view || !index.isValid() || !hasAudio(index))
        return {};
    QStyleOptionViewItem option;
    option.initFrom(view);
    option.widget = view;
    option.font = view->font();
    option.rect = view->visualRect(index);
    initStyleOption(&option, index);
    return layout(option, index).buttonRect.translated(option.rect.topLeft());
}

void BubbleDelegate::setPlaying(const QModelIndex& index, double progress)
{
    m_playing = index;
    m_progress = index.isValid() ? progress : -1;
}

void BubbleDelegate::setPlaybackEnabled(bool enabled, const QString& reason)
{
    m_playbackEnabled = enabled;
    m_disabledReason = enabled ? QString() : reason;
}

bool BubbleDelegate::editorEvent(
    QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option, const QModelIndex& index)
{
    const bool mouse = event->type() == QEvent::MouseButtonPress || event->type() == QEvent::MouseButtonRelease
        || event->type() == QEvent::MouseButtonDblClick;
    if (!mouse || !index.isValid() || !hasAudio(index))
        return QStyledItemDelegate::editorEvent(event, model, option, index);
    const auto* click = static_cast<QMouseEvent*>(event);
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QRect button = layout(opt, index).buttonRect.translated(opt.rect.topLeft());
    if (click->button() != Qt::LeftButton || !button.contains(click->position().toPoint()))
        return QStyledItemDelegate::editorEvent(event, model, option, index);
    // A press selects the row as anywhere else; the release on the control plays it.
    if (event->type() == QEvent::MouseButtonRelease && m_playbackEnabled)
        Q_EMIT playClicked(index);
    return event->type() != QEvent::MouseButtonPress;
}

bool BubbleDelegate::helpEvent(
    QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option, const QModelIndex& index)
{
    if (event->type() != QEvent::ToolTip || !index.isValid())
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    if (hasAudio(index) && playButtonRect(view, index).contains(event->pos())) {
        const bool playing = m_playing.isValid() && m_playing == index;
        const QString tip = !m_playbackEnabled ? m_disabledReason
            : playing                          ? tr("Stop playing this message (Space)")
                                               : tr("Play this message's audio (Space)");
        QToolTip::showText(event->globalPos(), tip, view);
        return true;
    }
    QString tip = roleProblem(index);
    if (tip.isEmpty() && kindOf(index) != Kind::Error) {
        const QDateTime createdAt = index.data(MessagesModel::CreatedAtRole).toDateTime();
        if (createdAt.isValid())
            tip = createdAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    }
    if (tip.isEmpty()) {
        QToolTip::hideText();
        return true;
    }
    QToolTip::showText(event->globalPos(), tip, view);
    return true;
}

} // namespace voxtrack::gui
