// The non-blocking status strip (e.g. "TMDB unreachable, showing saved data"): never takes
// focus, never covers more than a line, disappears by itself when the problem clears.
import QtQuick
import "../Style"

Rectangle {
    id: banner
    property string text: ""
    objectName: "statusBanner"
    visible: text !== ""
    height: visible ? label.implicitHeight + Theme.px(20) : 0
    color: "#e6b35a00"
    Text {
        id: label
        objectName: "statusBannerText"
        anchors.verticalCenter: parent.verticalCenter
        x: parent.width * 0.05
        width: parent.width * 0.9
        text: banner.text
        color: "#ffffff"
        elide: Text.ElideRight
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallSize
        font.bold: true
    }
}
