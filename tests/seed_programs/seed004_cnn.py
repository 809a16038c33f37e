# Seed 004, "합성곱 신경망을 훈련시켜 보겠습니다" and "케라스로 합성곱 신경망 만들기": the code lines of the note, in
# order (the printed outputs between them left out). The note never imports TensorFlow (its book did):
import scratchnet.tf as tf  # scratchnet: import tensorflow as tf (the note's earlier chapters)
(x_train_all,y_train_all) , (x_test,y_test) = tf.keras.datasets.fashion_mnist.load_data()

from scratchnet.utils import train_test_split  # scratchnet: from sklearn.model_selection import train_test_split
x_train , x_val , y_train , y_val = train_test_split(x_train_all , y_train_all ,
stratify=y_train_all,test_size=0.2,random_state=777)

y_train_encoded = tf.keras.utils.to_categorical(y_train)
y_val_encoded = tf.keras.utils.to_categorical(y_val)

x_train = x_train.reshape(-1,28,28,1)
x_val = x_val.reshape(-1,28,28,1)
x_train.shape

x_train = x_train /255
x_val = x_val /255

cn = ConvolutionNetwork(n_kernels=10,units=100,batch_size=128,learning_rate=0.01)
cn.fit(x_train,y_train_encoded,x_val=x_val,y_val=y_val_encoded,epochs=EPOCHS)  # scratchnet: CI shrink; the seed: epochs=20

import matplotlib.pyplot as plt
plt.plot(cn.losses)
plt.plot(cn.val_losses)
plt.ylabel('loss')
plt.xlabel('iteration')
plt.legend(['train_loss','val_loss'])
plt.show()

from scratchnet.tf.keras.layers import Conv2D,MaxPooling2D,Flatten,Dense  # scratchnet: from tensorflow.keras.layers ...

conv1 = tf.keras.Sequential()
conv1.add(Conv2D(10,(3,3),activation='relu',padding='same',input_shape=(28,28,1)))
conv1.add(MaxPooling2D((2,2)))
conv1.add(Flatten())
conv1.add(Dense(100,activation='relu')) #100개의 뉴런
conv1.add(Dense(10,activation='softmax')) #10개의 클래스
conv1.summary()

conv1.compile(optimizer='adam',loss='categorical_crossentropy',metrics=['accuracy'])
history = conv1.fit(x_train,y_train_encoded,epochs=EPOCHS,validation_data=(x_val,y_val_encoded))  # scratchnet: CI shrink; the seed: epochs=20
plt.plot(history.history['loss'])
plt.plot(history.history['val_loss'])
plt.ylabel('loss')
plt.xlabel('epoch')
plt.legend(['train_loss', 'val_loss'])
plt.show()
plt.plot(history.history['accuracy'])
plt.plot(history.history['val_accuracy'])
plt.ylabel('accuracy')
plt.xlabel('epoch')
plt.legend(['train_accuracy', 'val_accuracy'])
plt.show()

from scratchnet.tf.keras.layers import Dropout  # scratchnet: from tensorflow.keras.layers ...
conv2 = tf.keras.Sequential()
conv2.add(Conv2D(10, (3, 3), activation='relu', padding='same', input_shape=(28, 28, 1)))
conv2.add(MaxPooling2D((2, 2)))
conv2.add(Flatten())
conv2.add(Dropout(0.5))
conv2.add(Dense(100, activation='relu'))
conv2.add(Dense(10, activation='softmax'))
conv2.summary()
conv2.compile(optimizer='adam', loss='categorical_crossentropy',
metrics=['accuracy'])
history = conv2.fit(x_train, y_train_encoded, epochs=EPOCHS,  # scratchnet: CI shrink; the seed: epochs=20
validation_data=(x_val, y_val_encoded))
plt.plot(history.history['loss'])
plt.plot(history.history['val_loss'])
plt.ylabel('loss')
plt.xlabel('epoch')
plt.legend(['train_loss', 'val_loss'])
plt.show()
plt.plot(history.history['accuracy'])
plt.plot(history.history['val_accuracy'])
plt.ylabel('accuracy')
plt.xlabel('epoch')
plt.legend(['train_accuracy', 'val_accuracy'])
plt.show()
loss, accuracy = conv2.evaluate(x_val, y_val_encoded, verbose=0)
print(accuracy)
