// Browse: a filter list (Films/Series toggle, sort, genres) on the left, a virtualised
// grid of results on the right. Right/Left move between them; OK applies a filter.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: browse
    objectName: "browseView"
    property QtObject vm
    signal openItem(string kind, int mediaId)

    onVisibleChanged: if (visible && vm) vm.open()

    Text {
        id: heading
        x: parent.width * 0.05
        y: parent.height * 0.05
        width: parent.width * 0.9
        text: "Browse" + (browse.vm && browse.vm.heading !== "" ? "  ·  " + browse.vm.heading : "")
        color: Theme.text
        elide: Text.ElideRight
        font.family: Theme.fontFamily
        font.pixelSize: Theme.titleSize
        font.bold: true
    }

    ListView {
        id: filters
        objectName: "browseFilters"
        x: parent.width * 0.05
        anchors.top: heading.bottom
        anchors.topMargin: Theme.px(32)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        width: Theme.px(380)
        spacing: Theme.px(8)
        clip: true
        focus: true
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        highlightRangeMode: ListView.ApplyRange
        preferredHighlightBegin: Theme.px(80)
        preferredHighlightEnd: height - Theme.px(80)
        model: browse.vm ? browse.vm.filters : null
        onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0
        Keys.onRightPressed: if (grid.count > 0) grid.forceActiveFocus()
        delegate: ListEntry {
            required property int index
            required property string key
            required property string label
            required property bool isSelected
            objectName: "filter_" + key
            width: ListView.view.width - Theme.px(16)
            x: Theme.px(8)
            text: label
            selected: isSelected
            focus: ListView.isCurrentItem
            onActivated: { filters.currentIndex = index; browse.vm.activateFilter(index) }
        }
    }

    MediaGrid {
        id: grid
        objectName: "browseGrid"
        cardPrefix: "browse"
        anchors.left: filters.right
        anchors.leftMargin: Theme.px(32)
        anchors.right: parent.right
        anchors.rightMargin: parent.width * 0.05 - Theme.px(12)
        anchors.top: filters.top
        anchors.bottom: filters.bottom
        model: browse.vm ? browse.vm.items : null
        onLeftEdge: filters.forceActiveFocus()
        onNearEnd: browse.vm.loadMore()
        onActivated: (id, kind) => browse.openItem(kind, id)
        reportsViewport: true
        onViewport: (focusedId, adjacentIds, visibleIds) => {
            if (browse.vm) browse.vm.viewport(focusedId, adjacentIds, visibleIds)
        }
    }

    Column {
        anchors.centerIn: grid
        spacing: Theme.px(24)
        visible: browse.vm && (browse.vm.loading || browse.vm.error !== "") && grid.count === 0
        Spinner {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: browse.vm && browse.vm.loading
        }
        Text {
            objectName: "browseMessage"
            anchors.horizontalCenter: parent.horizontalCenter
            width: grid.width * 0.8
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: browse.vm ? (browse.vm.loading ? "Loading…" : browse.vm.error) : ""
            color: browse.vm && browse.vm.error !== "" ? Theme.error : Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}
