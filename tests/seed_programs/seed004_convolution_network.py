# Seed 004's ConvolutionNetwork. The note prints only two methods of the class, forpass() and
# training(), with their indentation lost; they are below, re-indented, line for line. The rest of
# the class (constructor, init_weights, fit, the validation loss) is not in the note: it is written
# here, marked "not in the note", from what the note says of it (glorot_uniform weights, an SGD
# optimizer, losses and val_losses recorded per epoch). The test injects it as the program's
# ConvolutionNetwork.
import numpy as np  # scratchnet: not in the note

import scratchnet.tf as tf  # scratchnet: import tensorflow as tf


class ConvolutionNetwork:
    def __init__(self, n_kernels=10, units=10, batch_size=32, learning_rate=0.1):  # not in the note
        self.n_kernels, self.units = n_kernels, units
        self.batch_size, self.lr = batch_size, learning_rate
        self.losses, self.val_losses = [], []

    def init_weights(self, input_shape, n_classes):  # not in the note ("glorot_uniform()" is)
        g = tf.keras.initializers.glorot_uniform()
        n_features = 14 * 14 * self.n_kernels
        self.conv_w = tf.Variable(g((3, 3, 1, self.n_kernels)))
        self.conv_b = tf.Variable(np.zeros(self.n_kernels, dtype=np.float32))
        self.w1 = tf.Variable(g((n_features, self.units)))
        self.b1 = tf.Variable(np.zeros(self.units, dtype=np.float32))
        self.w2 = tf.Variable(g((self.units, n_classes)))
        self.b2 = tf.Variable(np.zeros(n_classes, dtype=np.float32))

    def fit(self, x, y, epochs=100, x_val=None, y_val=None):  # not in the note
        self.init_weights(x.shape, y.shape[1])
        self.optimizer = tf.keras.optimizers.SGD(learning_rate=self.lr)
        for i in range(epochs):
            batch_losses = []
            for start in range(0, len(x), self.batch_size):
                x_batch = x[start:start + self.batch_size].astype(np.float32)
                batch_losses.append(self.training(x_batch, y[start:start + self.batch_size]))
            self.losses.append(np.mean(batch_losses))
            self.val_losses.append(self.val_loss(x_val.astype(np.float32), y_val))

    def forpass(self, x):
        # 3x3 합성곱 연산을 수행합니다.
        c_out = tf.nn.conv2d(x, self.conv_w, strides=1, padding='SAME') + self.conv_b
        # 렐루 활성화 함수를 적용합니다.
        r_out = tf.nn.relu(c_out)
        # 2x2 최대 풀링을 적용합니다.
        p_out = tf.nn.max_pool2d(r_out, ksize=2, strides=2, padding='VALID')
        # 첫 번째 배치 차원을 제외하고 출력을 일렬로 펼칩니다.
        f_out = tf.reshape(p_out, [x.shape[0], -1])
        #완전 연결층과 연결하는 과정
        z1 = tf.matmul(f_out, self.w1) + self.b1 # 첫 번째 층의 선형 식을 계산합니다
        a1 = tf.nn.relu(z1) # 활성화 함수를 적용합니다
        z2 = tf.matmul(a1, self.w2) + self.b2 # 두 번째 층의 선형 식을 계산합니다.
        return z2

    def training(self, x, y):
        m = len(x) # 샘플 개수를 저장합니다.
        with tf.GradientTape() as tape:
            z = self.forpass(x) # 정방향 계산을 수행합니다.
            # 손실을 계산합니다.
            loss = tf.nn.softmax_cross_entropy_with_logits(y, z)
            loss = tf.reduce_mean(loss)
        weights_list = [self.conv_w, self.conv_b,
                        self.w1, self.b1, self.w2, self.b2]
        # 가중치에 대한 그래디언트를 계산합니다.
        grads = tape.gradient(loss, weights_list)
        # 가중치를 업데이트합니다.
        self.optimizer.apply_gradients(zip(grads, weights_list))
        return loss.numpy()  # not in the note (the book's fit() records the loss)

    def val_loss(self, x_val, y_val):  # not in the note
        z = self.forpass(x_val)
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y_val, z)).numpy()
