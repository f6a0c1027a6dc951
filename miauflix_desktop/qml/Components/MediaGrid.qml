// A virtualised grid of poster cards (Browse, Search). Left on the first column leaves the
// grid (leftEdge), nearing the end asks for the next page (nearEnd); OK opens a card.
import QtQuick
import "../Style"

GridView {
    id: grid
    property string cardPrefix: "grid"
    // PosterCard.decodeDelay: cards passing by while the grid scrolls decode nothing.
    property int decodeDelay: 80
    readonly property int columns: Math.max(1, Math.floor((width - leftMargin - rightMargin) / cellWidth))
    signal leftEdge()
    signal upEdge()
    signal nearEnd()
    signal activated(int mediaId, string kind)
    // Warm start: when set, the grid reports the films in view (focused card, its four
    // neighbours, the rest on screen) at most ~10 a second; only ids cross to Python.
    property bool reportsViewport: false
    signal viewport(int focusedId, var adjacentIds, var visibleIds)

    function filmIdAt(index) {
        if (index < 0 || index >= count)
            return 0
        var cell = itemAtIndex(index)
        return cell && cell.kind === "movie" ? cell.mediaId : 0
    }
    function reportViewport() {
        if (!grid.activeFocus || count === 0 || currentIndex < 0)
            return
        var current = currentIndex
        var near = [current - 1, current + 1, current - columns, current + columns]
        var adjacent = near.map(i => filmIdAt(i)).filter(id => id > 0)
        var visible = []
        var rows = Math.ceil(height / cellHeight) + 1
        var from = Math.max(0, current - columns * rows)
        var to = Math.min(count, current + columns * rows + 1)
        for (var i = from; i < to; ++i) {
            var cell = itemAtIndex(i)
            if (cell && cell.kind === "movie" && i !== current
                    && cell.y + cell.height > contentY && cell.y < contentY + height)
                visible.push(cell.mediaId)
        }
        grid.viewport(filmIdAt(current), adjacent, visible)
    }
    function scheduleViewport() {
        if (reportsViewport && !viewportTimer.running)
            viewportTimer.start()
    }

    Timer {
        id: viewportTimer
        interval: 100
        onTriggered: grid.reportViewport()
    }
    onActiveFocusChanged: if (activeFocus) scheduleViewport()

    // Room around each card for the focus scale-up and outline.
    cellWidth: Theme.cardWidth + Theme.px(36)
    // ... and for the title under it: in a grid of results the name matters.
    cellHeight: Theme.cardHeight + Theme.px(40) + Theme.smallSize + Theme.px(24)
    leftMargin: Theme.px(24)
    topMargin: Theme.px(24)
    rightMargin: Theme.px(12)
    clip: true
    keyNavigationEnabled: true
    highlightMoveDuration: Theme.animMs
    highlightRangeMode: GridView.ApplyRange
    preferredHighlightBegin: Theme.px(24)
    preferredHighlightEnd: height - Theme.px(24)
    // Only visible cards (plus a row above and below) exist, and cards scrolled out are
    // pooled and reused for the ones scrolling in (Qt 6 delegate reuse: new required
    // properties, no new objects), so thousands of results stay cheap.
    reuseItems: true
    cacheBuffer: cellHeight

    Keys.priority: Keys.BeforeItem
    Keys.onLeftPressed: (event) => {
        if (currentIndex % columns === 0) { grid.leftEdge(); event.accepted = true }
        else event.accepted = false
    }
    Keys.onUpPressed: (event) => {
        if (currentIndex < columns) { grid.upEdge(); event.accepted = true }
        else event.accepted = false
    }
    onCurrentIndexChanged: {
        if (count > 0 && currentIndex >= count - columns * 2) grid.nearEnd()
        scheduleViewport()
    }
    onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0

    delegate: FocusScope {
        id: cell
        required property int index
        required property int mediaId
        required property string title
        required property int year
        required property string posterUrl
        required property bool isDemo
        required property string kind
        required property real progress
        width: grid.cellWidth
        height: grid.cellHeight
        focus: GridView.isCurrentItem
        PosterCard {
            id: gridCard
            x: Math.round((grid.cellWidth - Theme.cardWidth) / 2)
            y: Theme.px(20)
            focus: true
            // The caption below is the title's one place in a grid.
            showTitle: false
            decodeDelay: grid.decodeDelay
            shelfKey: grid.cardPrefix
            mediaId: cell.mediaId
            title: cell.title
            year: cell.year
            posterUrl: cell.posterUrl
            isDemo: cell.isDemo
            kind: cell.kind
            progress: cell.progress
            onActivated: (id, kind) => { grid.currentIndex = cell.index; grid.activated(id, kind) }
        }
        Text {
            // Below the focused card's scale-up, so the outline never covers the title.
            y: gridCard.y + Theme.cardHeight + Math.ceil(Theme.cardHeight * (Theme.focusScale - 1) / 2)
               + Theme.focusBorder + Theme.px(6)
            x: gridCard.x
            width: Theme.cardWidth
            horizontalAlignment: Text.AlignHCenter
            text: cell.title
            elide: Text.ElideRight
            color: cell.activeFocus ? Theme.text : Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
    }
}
