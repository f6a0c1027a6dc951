// 10,000 poster cards (bench/catalog.py "grid"). `posters` is the model (the roles of
// CardListModel). `withImages` picks the product's grid -- the real MediaGrid.qml with
// PosterCard.qml, placed where the Browse screen puts it -- or the reference: a bare
// GridView of plain rectangles with a title, same cells, same keyboard navigation.
import QtQuick
import "../miauflix_desktop/qml/Style"
import "../miauflix_desktop/qml/Components"

Window {
    id: win
    width: 1920
    height: 1080
    visible: true
    color: Theme.background

    // Browse.qml's geometry at 1920x1080: filters on the left, the grid on the right.
    Item {
        id: area
        x: Math.round(win.width * 0.05) + Theme.px(380) + Theme.px(32)
        y: Math.round(win.height * 0.05) + Theme.titleSize + Theme.px(48)
        width: win.width - x - (Math.round(win.width * 0.05) - Theme.px(12))
        height: win.height - y - Math.round(win.height * 0.05)

        Loader {
            id: view
            anchors.fill: parent
            focus: true
            sourceComponent: withImages ? productGrid : rectGrid
            onLoaded: item.forceActiveFocus()
        }
    }

    Component {
        id: productGrid
        MediaGrid {
            objectName: "grid"
            cardPrefix: "bench"
            model: posters
        }
    }

    Component {
        id: rectGrid
        GridView {
            id: rg
            objectName: "grid"
            cellWidth: Theme.cardWidth + Theme.px(36)
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
            model: posters
            delegate: Item {
                required property int index
                required property string title
                width: rg.cellWidth
                height: rg.cellHeight
                Rectangle {
                    x: Theme.px(18); y: Theme.px(20)
                    width: Theme.cardWidth; height: Theme.cardHeight; radius: Theme.radius
                    color: Qt.hsla((parent.index % 37) / 37, 0.4, 0.3, 1)
                }
                Text {
                    x: Theme.px(18); y: Theme.cardHeight + Theme.px(40)
                    width: Theme.cardWidth; text: parent.title; color: Theme.textDim
                    horizontalAlignment: Text.AlignHCenter
                    font.family: Theme.fontFamily; font.pixelSize: Theme.smallSize
                    elide: Text.ElideRight
                }
            }
        }
    }
}
