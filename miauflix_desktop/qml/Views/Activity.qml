// Settings → Activity: every background job (last run, next run, items done, last error),
// every source provider (healthy / degraded and why) and the VPN gate. Up/Down move
// through the rows (a long error shows in full on the focused row), Back returns Home.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: activity
    objectName: "activityView"
    property QtObject vm

    onVisibleChanged: if (vm) vm.active = visible

    function stateColor(state) {
        switch (state) {
        case "failing": return Theme.error
        case "degraded": return Theme.demo
        case "paused": return Theme.demo
        case "running": return Theme.accent
        case "idle": return Theme.textDim
        }
        return "#5fd38d"
    }

    Text {
        id: heading
        x: parent.width * 0.05
        y: parent.height * 0.05
        text: "Activity"
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.titleSize
        font.bold: true
    }
    Text {
        id: hint
        anchors.left: heading.left
        anchors.top: heading.bottom
        text: "Background work, refreshed every second"
        color: Theme.textDim
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallSize
    }

    ListView {
        id: rows
        objectName: "activityList"
        x: parent.width * 0.05
        width: parent.width * 0.9
        anchors.top: hint.bottom
        anchors.topMargin: Theme.px(32)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        clip: true
        focus: true
        spacing: Theme.px(8)
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        highlightRangeMode: ListView.ApplyRange
        preferredHighlightBegin: height * 0.2
        preferredHighlightEnd: height * 0.8
        model: activity.vm ? activity.vm.rows : null
        onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0

        section.property: "group"
        section.delegate: Text {
            required property string section
            width: ListView.view.width
            height: implicitHeight + Theme.px(16)
            verticalAlignment: Text.AlignBottom
            text: section
            color: Theme.accent
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
            font.bold: true
        }

        delegate: Rectangle {
            id: row
            objectName: "activity_" + index
            readonly property bool showsFocus: activeFocus
            width: ListView.view.width
            height: column.implicitHeight + Theme.px(24)
            radius: Theme.radius
            focus: ListView.isCurrentItem
            color: activeFocus ? Theme.surfaceRaised : "transparent"
            border.color: activeFocus ? Theme.focusRing : "transparent"
            border.width: Theme.focusBorder

            Rectangle {
                id: dot
                x: Theme.px(20)
                y: Theme.px(12) + (nameText.height - height) / 2
                width: Theme.px(18); height: width; radius: width / 2
                color: activity.stateColor(model.state)
            }
            Column {
                id: column
                x: dot.x + dot.width + Theme.px(20)
                y: Theme.px(12)
                width: row.width - x - Theme.px(20)
                spacing: Theme.px(4)
                Row {
                    spacing: Theme.px(24)
                    Text {
                        id: nameText
                        text: model.name
                        color: Theme.text
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.bodySize
                        font.bold: true
                    }
                    Text {
                        anchors.baseline: nameText.baseline
                        text: model.state
                        color: activity.stateColor(model.state)
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.smallSize
                    }
                }
                Text {
                    width: parent.width
                    text: model.summary
                    color: Theme.textDim
                    elide: Text.ElideRight
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallSize
                }
                Text {
                    width: parent.width
                    visible: model.error !== ""
                    text: model.error
                    color: Theme.error
                    wrapMode: row.activeFocus ? Text.Wrap : Text.NoWrap
                    elide: row.activeFocus ? Text.ElideNone : Text.ElideRight
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallSize
                }
            }
            MouseArea {
                anchors.fill: parent
                onClicked: { rows.currentIndex = index; row.forceActiveFocus() }
            }
        }
    }

    Text {
        anchors.centerIn: parent
        visible: rows.count === 0
        text: "Nothing is running in the background."
        color: Theme.textDim
        font.family: Theme.fontFamily
        font.pixelSize: Theme.bodySize
    }
}
