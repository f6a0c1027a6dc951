// A ten-foot list row (filters, menu entries, episodes): focus = filled + outline + scale.
import QtQuick
import "../Style"

Rectangle {
    id: entry
    property alias text: label.text
    property string detail: ""
    property bool selected: false
    readonly property bool showsFocus: activeFocus
    signal activated()

    implicitHeight: label.implicitHeight + Theme.px(28)
    radius: Theme.radius
    color: activeFocus ? Theme.focusFill : (selected ? Theme.surfaceRaised : "transparent")
    border.color: activeFocus ? Theme.focusRing : "transparent"
    border.width: Theme.focusBorder
    scale: activeFocus ? 1.03 : 1.0
    z: activeFocus ? 2 : 1
    Behavior on scale { NumberAnimation { duration: Theme.animMs } }

    Keys.onReturnPressed: entry.activated()
    Keys.onEnterPressed: entry.activated()

    // Selected (but not focused) rows get an accent bar, so the current filter shows.
    Rectangle {
        visible: entry.selected && !entry.activeFocus
        x: Theme.px(6)
        anchors.verticalCenter: parent.verticalCenter
        width: Theme.px(6)
        height: parent.height * 0.6
        radius: width / 2
        color: Theme.accent
    }
    Text {
        id: label
        x: Theme.px(24)
        width: parent.width - x - (detailText.visible ? detailText.width + Theme.px(24) : Theme.px(24))
        anchors.verticalCenter: parent.verticalCenter
        color: Theme.text
        elide: Text.ElideRight
        font.family: Theme.fontFamily
        font.pixelSize: Theme.bodySize
        font.bold: entry.selected || entry.activeFocus
    }
    Text {
        id: detailText
        visible: entry.detail !== ""
        anchors.right: parent.right
        anchors.rightMargin: Theme.px(24)
        anchors.verticalCenter: parent.verticalCenter
        text: entry.detail
        color: entry.activeFocus ? Theme.text : Theme.textDim
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallSize
    }
    MouseArea {
        anchors.fill: parent
        onClicked: { entry.forceActiveFocus(); entry.activated() }
    }
}
